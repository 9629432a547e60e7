package awslocal

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/internal/testenv"
)

// A run killed with SIGKILL (no Close) leaves no dynalite behind. The run
// is this test binary again, which starts dynalite, prints node's pid and
// waits to be killed.
func TestKilledRunLeavesNoDynalite(t *testing.T) {
	if os.Getenv("AWSLOCAL_DYNALITE_CHILD") != "" {
		d, err := StartDynalite(context.Background(), os.Getenv("AWSLOCAL_NODE"), os.Getenv("AWSLOCAL_CLI"))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", d.cmd.Process.Pid)
		time.Sleep(time.Minute)
		os.Exit(1)
	}
	cli := testenv.Tool(t, "ORDERPIPE_DYNALITE", "tools/node_modules/dynalite/cli.js", "tools/install")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("dynalite needs node: %v", err)
	}
	run := exec.Command(os.Args[0], "-test.run=^TestKilledRunLeavesNoDynalite$")
	run.Env = append(os.Environ(), "AWSLOCAL_DYNALITE_CHILD=1", "AWSLOCAL_NODE="+node, "AWSLOCAL_CLI="+cli)
	out, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil {
		_ = run.Process.Kill()
		_ = run.Wait()
		t.Fatalf("the run said %q", line)
	}
	_ = run.Process.Kill()
	_ = run.Wait()
	for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("dynalite (pid %d) outlived the run killed with SIGKILL", pid)
		}
	}
}
