package automation

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeCLI stands in for the Pulumi CLI at its signals only: it logs each
// interrupt and never stops by itself, as a CLI waiting on a slow create.
const fakeCLI = `#!/usr/bin/env bash
echo $$ > "$LOG.pid"
trap 'echo INT >> "$LOG"' INT
while :; do sleep 0.1 & wait $!; done
`

// A hurried CLI is interrupted (twice in all) and, when it does not stop,
// killed within hurryGrace: whether or not its operation was cancelled
// first (a clean-up runs uncancelled).
func TestHurriedCLIEndsWithinSeconds(t *testing.T) {
	for _, cancelled := range []bool{true, false} {
		t.Run("cancelled="+strconv.FormatBool(cancelled), func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "pulumi")
			if err := os.WriteFile(script, []byte(fakeCLI), 0o755); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(dir, "log")
			hurry := make(chan struct{})
			cli := gracefulCLI{command: script, grace: time.Minute, hurry: hurry}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				waitFor(t, log+".pid")
				if cancelled {
					cancel()
					time.Sleep(300 * time.Millisecond)
				}
				close(hurry)
			}()
			start := time.Now()
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _, _, err = cli.Run(ctx, dir, nil, nil, nil, []string{"LOG=" + log})
			}()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				// Never left running: the fake CLI is killed, then Run ends.
				p, _ := os.ReadFile(log + ".pid")
				pid, _ := strconv.Atoi(strings.TrimSpace(string(p)))
				_ = syscall.Kill(pid, syscall.SIGKILL)
				<-done
				t.Fatal("Run had not returned 15 s after the hurry")
			}
			if err == nil {
				t.Error("a killed CLI reported success")
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Run returned %v after it started, not within seconds of the hurry", took)
			}
			b, _ := os.ReadFile(log)
			if n := strings.Count(string(b), "INT"); n != 2 {
				t.Errorf("the CLI got %d interrupts, want 2 (a cancel, then terminate now)", n)
			}
			p, _ := os.ReadFile(log + ".pid")
			pid, _ := strconv.Atoi(strings.TrimSpace(string(p)))
			if err := syscall.Kill(pid, 0); err == nil {
				t.Errorf("the CLI (pid %d) still runs", pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}
}

func waitFor(t *testing.T, path string) {
	for range 100 {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error(path, "never appeared")
}
