package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/internal/enginetest"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
	"github.com/orderpipe/orderpipe/internal/fakeaws/fakecloud"
	"github.com/orderpipe/orderpipe/internal/proctest"
)

// runnerMachine is a CI runner machine running the pull-request workflow's
// jobs against the stand-in engine: the workflow's own run: scripts, run as
// stepRunner runs them; the orderpipe-env command's own code (its test
// binary, whose TestMain is main with the stand-in cloud's account); the
// pinned Pulumi CLI and the built policy pack; and the stand-in provider
// and its account, served by fakecloud from this test, so that the cloud
// outlives the jobs as AWS does.
type runnerMachine struct {
	*stepRunner
	h     *enginetest.Harness
	cloud *fakecloud.Server
	state string // the file backend
}

func newRunnerMachine(t *testing.T, envCommand string) *runnerMachine {
	h := enginetest.New(t)
	cloud, err := fakecloud.Start(h.Provider, h.Provider.Cloud())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Stop)
	w, _ := readWorkflow(t, "pull-request.yml")
	m := &runnerMachine{h: h, cloud: cloud, state: t.TempDir()}
	m.stepRunner = &stepRunner{t: t, w: w, dir: checkout(t, h.Module), temp: t.TempDir(), contexts: runnerContexts(m.state, "test")}
	// What the build step makes: the command, the pack, the CLI.
	bin := filepath.Join(m.temp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{filepath.Join(bin, "orderpipe-env"): envCommand,
		filepath.Join(bin, "orderpipe-policy"): h.Pack, filepath.Join(m.temp, "pulumi"): h.Root} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	m.env = append(goEnv(t), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "PULUMI_HOME="+h.Home, fakecloud.URLEnv+"="+cloud.URL())
	for k, v := range h.EnvVars() {
		if k == "PULUMI_DEBUG_PROVIDERS" {
			v = cloud.DebugProviders()
		}
		m.env = append(m.env, k+"="+v)
	}
	stop := make(chan struct{})
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		m.reapOrphans(stop)
	}()
	t.Cleanup(func() {
		close(stop)
		<-reaped
	})
	return m
}

// checkout is a checkout of the module: a directory whose entries link to
// the module's, so that what the steps write (outputs.json, summary.md, the
// function's build) stays in the test's directory.
func checkout(t *testing.T, module string) string {
	dir := t.TempDir()
	entries, err := os.ReadDir(module)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if slices.Contains([]string{".git", ".build", ".orderpipe", "bin"}, e.Name()) {
			continue
		}
		if err := os.Symlink(filepath.Join(module, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goEnv is the go command's caches and proxy: the function's build in the
// engine's program finds them as a runner's setup-go leaves them.
func goEnv(t *testing.T) []string {
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"}
	out, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for i, v := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if i < len(keys) && v != "" {
			env = append(env, keys[i]+"="+v)
		}
	}
	return env
}

// reapOrphans reaps the steps' processes that the test binary adopted
// (proctest makes it their subreaper) once they end, as init does on a
// runner: a zombie would still count as a running Pulumi CLI holding its
// stack's lock. The steps' entry processes are the runner's to wait for.
func (m *runnerMachine) reapOrphans(stop <-chan struct{}) {
	seen := map[int]bool{}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		m.mu.Lock()
		tracked, entries := slices.Clone(m.tracked), slices.Clone(m.entries)
		m.mu.Unlock()
		all, _ := proctest.Descendants()
		for _, p := range all {
			env := environ(p.PID)
			if !slices.Contains(entries, p.PID) && slices.ContainsFunc(tracked, func(id string) bool { return slices.Contains(env, id) }) {
				seen[p.PID] = true
			}
		}
		for pid := range seen {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if _, statErr := os.Stat(fmt.Sprintf("/proc/%d", pid)); got == pid || errors.Is(err, syscall.ECHILD) && statErr != nil {
				delete(seen, pid)
			}
		}
	}
}

// step runs the job's step as the runner does, cancelled when cancel is
// closed.
func (m *runnerMachine) step(job, name string, cancel <-chan struct{}) stepResult {
	m.t.Helper()
	m.job = job
	s := m.w.step(m.t, job, name)
	res := m.run(s, cancel)
	m.t.Logf("%s / %s: exit %d after %v, the runner sent %v:\n%s", job, name, res.code, res.took.Round(100*time.Millisecond), res.sent, res.output)
	return res
}

// endJob does what the runner does when a job ends: it kills the processes
// of its steps still running ("Cleaning up orphan processes"), and returns
// them.
func (m *runnerMachine) endJob() []proctest.Process {
	m.mu.Lock()
	defer m.mu.Unlock()
	return killTracked(m.t, m.tracked...)
}

// The workflow's steps under the runner's cancel, against the stand-in
// engine: a cancelled up's SIGINT reaches the Pulumi CLI, whose engine
// tells the provider to cancel; the step the workflow runs
// after a cancel recovers what was left (a lock, a pending create or
// delete) and removes the environment; and in the end nothing is live in
// the cloud, no stack is in the backend, and no process runs (enginetest's
// check).
func TestWorkflowStepsUnderTheRunnersCancelAgainstTheEngine(t *testing.T) {
	envCommand := filepath.Join(t.TempDir(), "orderpipe-env")
	build := exec.Command("go", "test", "-c", "-o", envCommand, "./cmd/orderpipe-env")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the orderpipe-env test binary: %v\n%s", err, out)
	}
	const (
		up              = "Update the environment with the policy pack (makes the deferred checks)"
		destroyLeft     = "Destroy what a cancelled run left"
		destroy         = "Destroy the pull request's environment"
		finishDestroy   = "Finish a cancelled destroy"
		table           = "aws:dynamodb/table:Table"
		runnersDeadline = 10 * time.Second // SIGINT, SIGTERM 7.5 s later, the tree killed 2.5 s after
	)
	type stepCase struct{ job, name string }
	slowTable := func(d time.Duration) func(*fakeaws.Provider, chan<- string, <-chan struct{}) {
		return func(p *fakeaws.Provider, started chan<- string, _ <-chan struct{}) { p.SlowCreates(table, d, started) }
	}
	for _, c := range []struct {
		name      string
		slow      func(p *fakeaws.Provider, started chan<- string, done <-chan struct{}) // makes an operation slow; tells its start until done
		first     []stepCase                                                             // run before, not cancelled
		cancelled stepCase                                                               // cancelled as the slow operation starts
		after     []stepCase                                                             // what the workflow runs after the cancel
		// The cancel reaches the command's Pulumi CLI, whose engine tells
		// the provider to cancel and stops the update.
		engineCancels bool
		sent          []string // when not nil, what the runner had to send before the step ended
	}{
		{
			// orderpipe-env's own destroy of the new stack that follows may
			// outlast the grace (it does on a loaded machine).
			name:          "up cancelled during a create that ends within the runner's grace; the cancelled() step destroys what is left",
			slow:          slowTable(3 * time.Second),
			cancelled:     stepCase{"preview", up},
			after:         []stepCase{{"preview", destroyLeft}},
			engineCancels: true,
		},
		{
			name:          "up cancelled during a create that outlasts the runner's grace; the cancelled() step recovers the stack and destroys it",
			slow:          slowTable(runnersDeadline + 2*time.Second),
			cancelled:     stepCase{"preview", up},
			after:         []stepCase{{"preview", destroyLeft}},
			engineCancels: true, sent: []string{"INT", "TERM"},
		},
		{
			// orderpipe-env's destroy runs to its end whatever the cancel
			// (automation's Close), so the SIGINT does not reach its CLI;
			// the SIGTERM ends the command, and its orphaned CLI dies at its
			// next write.
			name:  "destroy cancelled during a delete that outlasts the runner's grace; the next destroy finishes it",
			first: []stepCase{{"preview", up}},
			slow: func(p *fakeaws.Provider, started chan<- string, done <-chan struct{}) {
				p.DeletesTake(table, runnersDeadline+2*time.Second)
				go func() { // the first delete the engine asks for
					for p.Deletes() == 0 {
						select {
						case <-done:
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
					started <- "a delete"
				}()
			},
			cancelled: stepCase{"destroy", destroy},
			after:     []stepCase{{"destroy", finishDestroy}},
			sent:      []string{"INT", "TERM"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newRunnerMachine(t, envCommand)
			for _, s := range c.first {
				if res := m.step(s.job, s.name, nil); res.code != 0 {
					t.Fatalf("%s: exit %d", s.name, res.code)
				}
			}
			started := make(chan string, 16)
			cancel, fired, stepDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
			c.slow(m.h.Provider, started, stepDone)
			go func() {
				select {
				case what := <-started:
					close(fired)
					t.Logf("cancelling the run as %s starts", what)
					close(cancel)
				case <-stepDone:
				}
			}()
			cancelsBefore := m.cloud.Cancels()
			cancelled := m.step(c.cancelled.job, c.cancelled.name, cancel)
			close(stepDone)
			m.h.Provider.SlowCreates(table, 0, nil)
			cancels := m.cloud.Cancels() - cancelsBefore
			t.Logf("the engine told the provider to cancel %d times", cancels)
			select {
			case <-fired:
			default:
				t.Fatalf("the step ended (exit %d) before the slow operation started", cancelled.code)
			}
			if cancelled.code == 0 || c.sent != nil && !slices.Equal(cancelled.sent, c.sent) {
				t.Errorf("the cancelled step exited %d, the runner sent %v; want a failure, and %v", cancelled.code, cancelled.sent, c.sent)
			}
			// An engine tells its providers to cancel only when its
			// operation is interrupted. (What it reports varies: with a
			// policy pack it may report the update failed, as it analyses
			// what the program registers after the cancel under the
			// cancelled context: "failed to run policy: context canceled";
			// and the runner's SIGTERM may end orderpipe-env first.)
			if c.engineCancels && cancels == 0 {
				t.Errorf("the engine did not tell the provider to cancel: the CLI did not get its interrupt")
			}
			for _, s := range c.after {
				if st := m.w.step(t, s.job, s.name); !strings.Contains(st.If, "cancelled()") {
					t.Errorf("step %q runs if %q: not after a cancel", s.name, st.If)
				}
				if res := m.step(s.job, s.name, nil); res.code != 0 {
					t.Errorf("%s: exit %d", s.name, res.code)
				}
			}
			if killed := m.endJob(); len(killed) > 0 {
				t.Errorf("processes of the job still ran when it ended (the runner killed them): %v", killed)
			}
			if live := m.h.Provider.Live(); len(live) > 0 {
				t.Errorf("%d resources live in the cloud: %v", len(live), live)
			}
			if stacks := m.h.Stacks(t, m.state); len(stacks) > 0 {
				t.Errorf("stacks left in the backend: %v", stacks)
			}
			// enginetest checks that no process the test started runs.
		})
	}
}
