package stacklock

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux
// architecture (sysconf(_SC_CLK_TCK) needs cgo).
const clockTicks = 100

// process reads /proc/<pid>/stat: a zombie (ended, not yet reaped) counts as
// ended; the start time is the boot time plus field 22.
func process(pid int) proc {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return proc{}
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{exists: true}
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'. After it: state (field 3) … starttime (field 22).
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return proc{exists: true}
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return proc{exists: true}
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return proc{}
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	boot, ok := bootTime()
	if err != nil || !ok {
		return proc{exists: true}
	}
	return proc{exists: true, started: boot.Add(time.Duration(ticks) * time.Second / clockTicks)}
}

// bootTime is /proc/stat's btime.
func bootTime() (time.Time, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(sec, 0), err == nil
		}
	}
	return time.Time{}, false
}
