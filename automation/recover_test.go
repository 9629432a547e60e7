package automation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/orderpipe/orderpipe/automation"
)

const tableType = "aws:dynamodb/table:Table"

// killMidCreate runs an update of env that is cancelled as a slow table
// create starts, with too short a grace for the create: the CLI is killed,
// as a CI runner kills a job. It leaves what the issue found: the stack
// locked, the create pending in the state, the table live.
func killMidCreate(t *testing.T, h harness, env *automation.Env) {
	t.Helper()
	killCreating(t, h, env, tableType, "Orders")
}

// killCreating is killMidCreate with the slow create of the resource of typ
// named logical in the program.
func killCreating(t *testing.T, h harness, env *automation.Env, typ, logical string) {
	t.Helper()
	started := make(chan string, 1)
	h.Provider.SlowCreates(typ, 8*time.Second, started)
	defer h.Provider.SlowCreates(typ, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		// Other resources of the type may start first (the DLQ before
		// the queue): the kill waits for this one's create.
		for {
			select {
			case urn := <-started:
				if strings.HasSuffix(urn, "::"+logical) {
					cancel()
				}
			case <-done:
				return
			}
		}
	}()
	_, err := env.Up(ctx)
	if err == nil || !strings.Contains(fmt.Sprint(errors.Unwrap(err)), "was killed") {
		t.Fatalf("the update was not killed: %v", err)
	}
	// Ours, or another owner's that our create overwrote (a dashboard).
	if !slices.ContainsFunc(h.Provider.Live(), func(urn string) bool {
		return strings.HasSuffix(urn, typ+"::"+logical) || strings.HasPrefix(urn, "urn:pulumi:other-owner::") && strings.Contains(urn, typ+"::")
	}) {
		t.Fatalf("the %s whose create was cut short is not live: %v", logical, h.Provider.Live())
	}
	t.Logf("killed mid-create: %d resources live", len(h.Provider.Live()))
}

// killedOptions are options whose cancel grace is too short for a slow
// create.
func killedOptions(t *testing.T, h harness, state string) automation.Options {
	opts := h.options(t, state)
	opts.CancelGrace = time.Second
	return opts
}

// killedEnv is a new environment of opts whose first update was killed
// mid-create.
func killedEnv(t *testing.T, h harness, opts automation.Options) *automation.Env {
	t.Helper()
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	killMidCreate(t, h, env)
	return env
}

func noStacks(t *testing.T, h harness, opts automation.Options) {
	t.Helper()
	if got := stacksIn(t, h, opts); len(got) != 0 {
		t.Errorf("stacks left in the backend: %v", got)
	}
}

// The next push of a pull request after its job was killed mid-create: the
// stale lock is removed (its process has ended), the table of the pending
// create is found by its name, proven the stack's by its tags and deleted,
// the pending create is dropped from the state, and the update creates the
// table anew.
// Close then leaves nothing.
func TestSecondUpAfterAKilledOne(t *testing.T) {
	h := newHarness(t)
	opts := killedOptions(t, h, t.TempDir())
	opts.PR = 4242
	first, err := automation.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	killMidCreate(t, h, first)

	var log strings.Builder
	opts.Progress = &log
	next, err := automation.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !next.Existing || next.Name != first.Name {
		t.Fatalf("opened %s (existing %v), want %s", next.Name, next.Existing, first.Name)
	}
	if _, err := next.Up(context.Background()); err != nil {
		t.Fatalf("the update after a killed one: %v\n%s", err, log.String())
	}
	t.Log(log.String())
	for _, want := range []string{"creates pending in its state, which no run holds: Orders", "deleting dynamodb table orderpipe-" + first.Name + "-Orders, whose create was cut short",
		"removing the lock file://", "has ended", "resolved the pending creates of " + first.Name + ": 1 dropped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the progress does not say %q", want)
		}
	}
	if err := next.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	noStacks(t, h, opts)
	// newHarness checks that nothing is live.
}

// Close of the environment a killed update left: recovered, destroyed,
// removed.
func TestCloseAfterAKilledOne(t *testing.T) {
	h := newHarness(t)
	opts := killedOptions(t, h, t.TempDir())
	env := killedEnv(t, h, opts)
	if err := env.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	noStacks(t, h, opts)
}

// The nightly sweep of an expired environment whose last job was killed
// mid-create closes it and exits with no error.
func TestSweepAfterAKilledOne(t *testing.T) {
	h := newHarness(t)
	// As AWS's Tagging API, the stand-in's lists what was deleted moments
	// ago: the sweep that has just closed the stack must neither take it
	// for orphans nor fail on it.
	h.Provider.ListsDeletedFor(time.Minute)
	state := t.TempDir()
	opts := killedOptions(t, h, state)
	opts.TTL = time.Minute
	env := killedEnv(t, h, opts)
	later := h.options(t, state)
	later.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	report, err := automation.Sweep(context.Background(), later, automation.SweepOptions{Act: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(report.Stacks, []string{env.Name}) || len(report.Orphans) != 0 {
		t.Errorf("swept %+v, want %s", report, env.Name)
	}
	noStacks(t, h, opts)
}

// A table whose killed create recovery finished and a destroy deleted is
// created again by the next update of the stack, under the same name.
func TestTableDeletedByRecoveryIsCreatedAgain(t *testing.T) {
	h := newHarness(t)
	opts := killedOptions(t, h, t.TempDir())
	env := killedEnv(t, h, opts)
	if err := env.Destroy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Provider.Live()); n != 0 {
		t.Fatalf("%d resources live after the destroy: %v", n, h.Provider.Live())
	}
	if _, err := env.Up(context.Background()); err != nil {
		t.Fatalf("the update after the recovery's destroy: %v", err)
	}
	if !slices.ContainsFunc(h.Provider.Live(), func(urn string) bool { return strings.HasSuffix(urn, tableType+"::Orders") }) {
		t.Errorf("the table was not created again: %v", h.Provider.Live())
	}
	if err := env.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	noStacks(t, h, opts)
}

// A stack with a pending create and no account to look in is left alone,
// with an error that says why.
func TestPendingCreateWithoutAnAccount(t *testing.T) {
	h := newHarness(t)
	opts := killedOptions(t, h, t.TempDir())
	env := killedEnv(t, h, opts)
	opts.Account = nil
	blind, err := automation.Select(context.Background(), opts, env.Name)
	if err != nil {
		t.Fatal(err)
	}
	err = blind.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "left pending (Orders)") || !strings.Contains(err.Error(), "without access to the account") {
		t.Errorf("close without an account: %v", err)
	}
	if err := env.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// writeLock leaves a lock on the stack as the Pulumi CLI writes one (a
// self-managed backend's .pulumi/locks/<org>/<project>/<stack>/<id>.json),
// id naming the file.
func writeLock(t *testing.T, state, stack, id, host string, pid int, since time.Time) string {
	t.Helper()
	dir := filepath.Join(state, ".pulumi", "locks", "organization", automation.Project, stack)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"pid": pid, "username": "ci", "hostname": host, "timestamp": since})
	path := filepath.Join(dir, id+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Locks left on a stack: a lock file is removed, that file alone, only when
// it was taken on this machine by a process that has ended (or whose pid is
// now a process started after the lock); any other, another machine's
// however old, is waited for up to LockWait, never removed, and the error
// names the file and how to remove it by hand.
func TestStaleLock(t *testing.T) {
	h := newHarness(t)
	state := t.TempDir()
	opts := h.options(t, state)
	env := newEnv(t, context.Background(), opts)
	if _, err := env.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()

	// A process of this machine, running since before its lock.
	running := exec.Command("/bin/sleep", "120")
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { running.Process.Kill(); running.Wait() }()
	startedBy := time.Now().Add(time.Second)
	// A process of this machine that has ended.
	ended := exec.Command("/bin/true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}

	type lock struct {
		host    string
		pid     int
		since   time.Time
		removed bool
	}
	for _, c := range []struct {
		name  string
		locks []lock
		says  string
	}{
		{"this machine, process ended", []lock{{host, ended.Process.Pid, time.Now().Add(-time.Minute), true}}, "has ended"},
		{"this machine, pid reused since", []lock{{host, running.Process.Pid, time.Now().Add(-3 * time.Hour), true}}, "after the lock was taken"},
		{"this machine, process running", []lock{{host, running.Process.Pid, startedBy, false}}, "is running"},
		{"another machine, fresh", []lock{{"ci-runner-7", ended.Process.Pid, time.Now(), false}}, "taken on another machine (ci-runner-7)"},
		{"another machine, 2 h old", []lock{{"ci-runner-7", ended.Process.Pid, time.Now().Add(-2 * time.Hour), false}}, "taken on another machine (ci-runner-7) 2h0m"},
		{"one of each: only the dead one removed", []lock{{host, ended.Process.Pid, time.Now(), true}, {"ci-runner-7", 4242, time.Now().Add(-2 * time.Hour), false}}, "has ended"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log strings.Builder
			o := opts
			o.Progress, o.LockWait = io.MultiWriter(&log, testWriter{t}), 3*time.Second
			e, err := automation.Select(context.Background(), o, env.Name)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			var held []string
			for i, l := range c.locks {
				files = append(files, writeLock(t, state, env.Name, fmt.Sprintf("0d6c1a36-5e0a-4a43-9f6e-0c2f1d3e4b5%d", i), l.host, l.pid, l.since))
				if !l.removed {
					held = append(held, files[i])
				}
			}
			start := time.Now()
			_, err = e.Up(context.Background())
			t.Logf("%v after %v", err, time.Since(start).Round(time.Millisecond))
			if !strings.Contains(log.String()+fmt.Sprint(err), c.says) {
				t.Errorf("neither the progress nor the error says %q", c.says)
			}
			for i, l := range c.locks {
				_, statErr := os.Stat(files[i])
				if gone := errors.Is(statErr, os.ErrNotExist); gone != l.removed {
					t.Errorf("lock %d (%s, pid %d): removed %v, want %v", i, l.host, l.pid, gone, l.removed)
				}
			}
			switch {
			case len(held) == 0 && err != nil:
				t.Errorf("the update after removing a dead run's lock: %v", err)
			case len(held) > 0 && (err == nil || !strings.Contains(err.Error(), "rm "+held[0])):
				t.Errorf("the error does not name the lock file with how to remove it: %v", err)
			case len(held) > 0 && time.Since(start) < o.LockWait:
				t.Errorf("gave up after %v, before LockWait %v", time.Since(start), o.LockWait)
			}
			for _, f := range held {
				os.Remove(f)
			}
		})
	}
}

// The janitor trusts the cloud: an environment whose stack was removed from
// the backend by hand (its state gone, its resources not) is found through
// the Tagging API, page by page, and by the names of its role and dashboard,
// which that API cannot list. A dry run reports each and deletes none; --yes
// deletes them all. A stack of the backend keeps its resources.
func TestJanitorFindsWhatNoStateKnows(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	opts := h.options(t, state)
	opts.PR = 77
	opts.TTL = time.Minute // its resources expire with it
	lost, err := automation.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lost.Up(ctx); err != nil {
		t.Fatal(err)
	}
	kept := newEnv(t, ctx, h.options(t, state))
	if _, err := kept.Up(ctx); err != nil {
		t.Fatal(err)
	}
	liveOf := func(stack string) int {
		n := 0
		for _, urn := range h.Provider.Live() {
			if strings.HasPrefix(urn, "urn:pulumi:"+stack+"::") {
				n++
			}
		}
		return n
	}
	keptLive := liveOf(kept.Name)
	forget(t, state, lost.Name, auto.Pulumi(h.Pulumi), auto.PulumiHome(h.Home), auto.EnvVars(h.EnvVars()))
	if liveOf(lost.Name) == 0 {
		t.Fatal("the forgotten stack left nothing live")
	}

	cloud := h.Provider.Cloud()
	opts.Account = cloud
	opts.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	dry, err := automation.Sweep(ctx, opts, automation.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range dry.Orphans {
		if o.Stack != lost.Name || o.PR != "77" {
			t.Errorf("orphan %+v, want one of stack %s, PR 77", o, lost.Name)
		}
		kinds = append(kinds, strings.Split(o.ARN, ":")[2])
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	for _, want := range []string{"cloudwatch", "dynamodb", "iam", "kms", "lambda", "logs", "sns", "sqs"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("the dry run found no %s resource of the lost stack: %v", want, dry.Orphans)
		}
	}
	if cloud.Pages() < 2 {
		t.Errorf("the Tagging API served %d pages; the janitor must follow its pagination", cloud.Pages())
	}
	if liveOf(lost.Name) == 0 {
		t.Error("the dry run deleted resources")
	}

	report, err := automation.Sweep(ctx, opts, automation.SweepOptions{Act: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Orphans) != len(dry.Orphans) {
		t.Errorf("deleted %d resources, the dry run reported %d", len(report.Orphans), len(dry.Orphans))
	}
	if n := liveOf(lost.Name); n != 0 {
		t.Errorf("%d resources of the lost stack are still live: %v", n, h.Provider.Live())
	}
	if n := liveOf(kept.Name); n != keptLive {
		t.Errorf("the janitor deleted %d resources of %s, a stack of the backend", keptLive-n, kept.Name)
	}
	again, err := automation.Sweep(ctx, opts, automation.SweepOptions{Act: true})
	if err != nil || len(again.Orphans)+len(again.Stacks) != 0 {
		t.Errorf("a second sweep found %+v (%v), want nothing", again, err)
	}
}

// forget removes a stack from the file backend in state and leaves its
// resources, as a `pulumi stack rm --force` or a lost state does.
func forget(t *testing.T, state, stack string, opts ...auto.LocalWorkspaceOption) {
	t.Helper()
	ws, err := auto.NewLocalWorkspace(context.Background(), append(opts,
		auto.Project(workspace.Project{Name: automation.Project, Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: "file://" + filepath.ToSlash(state)}}))...)
	if err != nil {
		t.Fatal(err)
	}
	// The CLI prefers the variable to the project's backend: a stack of one
	// exported in the shell that runs the tests must not be removed.
	ws.SetEnvVar("PULUMI_BACKEND_URL", "file://"+filepath.ToSlash(state))
	if err := ws.RemoveStack(context.Background(), stack, optremove.Force()); err != nil {
		t.Fatal(err)
	}
}
