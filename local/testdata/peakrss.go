//go:build ignore

// peakrss runs a command and reports the peak memory of its whole process
// tree, children included (`/usr/bin/time -v` reports only the process it
// started; dynalite runs in a node child). Every 50 ms it reads
// /proc/PID/status of each process in the tree; a process's VmHWM is its own
// peak resident set, so the sum of the last VmHWM read of every process is
// an upper bound of the tree's peak (the processes need not peak together),
// and the largest sum of VmRSS read at one moment is a lower bound.
//
//	go run local/testdata/peakrss.go -- orderpipe local --orders orders.jsonl
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss -- command [args]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(2)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	hwm := map[int]int{} // kB, by pid
	names := map[int]string{}
	maxSum := 0
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var err error
loop:
	for {
		sum := 0
		for _, pid := range tree(cmd.Process.Pid) {
			name, rss, peak, ok := status(pid)
			if !ok {
				continue
			}
			sum += rss
			hwm[pid], names[pid] = max(hwm[pid], peak), name
		}
		maxSum = max(maxSum, sum)
		select {
		case err = <-done:
			break loop
		case <-tick.C:
		}
	}
	total := 0
	for pid, kb := range hwm {
		total += kb
		fmt.Fprintf(os.Stderr, "peakrss: pid %d (%s): VmHWM %.1f MB\n", pid, names[pid], float64(kb)/1024)
	}
	fmt.Fprintf(os.Stderr, "peakrss: %d processes, %v: sum of VmHWM %.1f MB; largest VmRSS sum sampled %.1f MB\n",
		len(hwm), time.Since(start).Round(time.Second), float64(total)/1024, float64(maxSum)/1024)
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		os.Exit(1)
	}
}

// tree is pid and its descendants, from each process's parent in /proc.
func tree(root int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// status reads a process's name, VmRSS and VmHWM (kB).
func status(pid int) (name string, rss, hwm int, ok bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		switch k {
		case "Name":
			name = v
		case "VmRSS":
			rss, _ = strconv.Atoi(v)
		case "VmHWM":
			hwm, _ = strconv.Atoi(v)
			ok = true
		}
	}
	return name, rss, hwm, ok
}
