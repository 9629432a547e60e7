package automation_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/stacklock"
	"github.com/orderpipe/orderpipe/spec"
)

// What recovery relies on, checked against the pinned CLI: the lock
// internal/stacklock takes is the CLI's (its update refuses while it is
// held, and stacklock refuses while an update holds the stack), `stack
// export` reads the state while it is held, and the engine's update carries
// a pending create over into its new checkpoint (so recovery must drop it).
func TestEngineFactsRecoveryRelies(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	opts := killedOptions(t, h, state)
	env := killedEnv(t, h, opts)
	// The killed CLI's lock, where stacklock looks for it.
	b, err := stacklock.Open(ctx, "file://"+filepath.ToSlash(state), automation.Project)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	locks, err := b.Locks(ctx, env.Name)
	if err != nil || len(locks) != 1 {
		t.Fatalf("the killed CLI's locks: %v %v", locks, err)
	}
	if gone, why := locks[0].Gone(time.Now()); !gone {
		t.Fatalf("the killed CLI's lock is not judged gone: %s", why)
	}
	if err := b.Break(ctx, locks[0]); err != nil {
		t.Fatal(err)
	}

	held, err := b.Lock(ctx, env.Name)
	if err != nil {
		t.Fatal(err)
	}
	err = env.EngineUp(ctx)
	if !auto.IsConcurrentUpdateError(err) || !strings.Contains(err.Error(), held.Key()) {
		t.Errorf("the CLI's update while stacklock holds the stack: %v", err)
	}
	if ops, err := env.PendingOps(ctx); err != nil || len(ops) != 1 || !strings.HasPrefix(ops[0], "creating ") {
		t.Errorf("stack export while stacklock holds the stack: %v %v", ops, err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// The table of the pending create gone by hand, an update of the CLI's
	// own creates it and keeps the pending create.
	cloud := h.Provider.Cloud()
	table, found, err := cloud.Find(ctx, tableType, spec.Namer{Project: automation.Project, Stack: env.Name}.Name(spec.DynamoDB, spec.TableName))
	if err != nil || !found {
		t.Fatalf("the table: %v %v", found, err)
	}
	if err := cloud.Delete(ctx, table); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	h.Provider.SlowCreates(tableType, 10*time.Second, started)
	var wg sync.WaitGroup
	var errUp error
	wg.Go(func() { errUp = env.EngineUp(ctx) })
	<-started
	_, err = b.Lock(ctx, env.Name)
	var locked *stacklock.LockedError
	if !errors.As(err, &locked) || len(locked.Locks) != 1 || locked.Locks[0].PID <= 0 {
		t.Errorf("stacklock while the CLI updates the stack: %v", err)
	}
	wg.Wait()
	h.Provider.SlowCreates(tableType, 0, nil)
	if errUp != nil {
		t.Fatal(errUp)
	}
	if ops, err := env.PendingOps(ctx); err != nil || len(ops) != 1 || !strings.HasSuffix(ops[0], "::Orders") {
		t.Errorf("pending operations after the engine's update: %v %v; the pinned engine carries pending creates over", ops, err)
	}

	// Recovery keeps the table the state now knows, and drops the pending
	// create; Close leaves nothing.
	var log strings.Builder
	opts.Progress = io.MultiWriter(&log, testWriter{t})
	again, err := automation.Select(ctx, opts, env.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "and the state knows it: kept") {
		t.Errorf("recovery does not say it kept the table the state knows:\n%s", log.String())
	}
	if ops, err := env.PendingOps(ctx); err != nil || len(ops) != 0 {
		t.Errorf("pending operations after recovery: %v %v", ops, err)
	}
	closeMatching(t, h, state, again, opts)
}

// The race the review found: recovery started while an update is in
// flight waits for that update's lock and reads nothing until it has it.
// With a short LockWait it gives up having read no state and deleted
// nothing; the update ends with its state matching the cloud.
func TestRecoveryWaitsForARunInFlight(t *testing.T) {
	repeat(t, "", func(t *testing.T, i int) {
		h := newHarness(t)
		ctx := context.Background()
		state := t.TempDir()
		first, opts, waitFirst := prUpInFlight(t, h, state, 4600+i, 20*time.Second)

		var log strings.Builder
		rec := opts
		rec.LockWait = 3 * time.Second
		rec.Progress = io.MultiWriter(&log, testWriter{t})
		recoverer, err := automation.Select(ctx, rec, first.Name)
		if err != nil {
			t.Fatal(err)
		}
		err = recoverer.Destroy(ctx)
		if err == nil || !strings.Contains(err.Error(), "still locked after 3s") || !strings.Contains(err.Error(), "is running") {
			t.Errorf("recovery beside an update in flight: %v", err)
		}
		if strings.Contains(log.String(), "pending") || strings.Contains(log.String(), "deleting") || !strings.Contains(log.String(), "waiting for it") {
			t.Errorf("recovery read or acted on the state of a run in flight:\n%s", log.String())
		}
		if n := h.Provider.Deletes(); n != 0 {
			t.Errorf("%d resources deleted under the update", n)
		}
		if err := waitFirst(); err != nil {
			t.Fatal(err)
		}
		closeMatching(t, h, state, first, opts)
	})
}

// Two first runs of one pull request at once (no stack yet): both open the
// one stack of the PR, and both updates succeed one after the other.
func TestTwoFirstUpsOfOnePR(t *testing.T) {
	repeat(t, "", func(t *testing.T, i int) {
		h := newHarness(t)
		ctx := context.Background()
		state := t.TempDir()
		opts := h.options(t, state)
		opts.PR = 4700 + i
		var envs [2]*automation.Env
		var errs [2]error
		var wg sync.WaitGroup
		for k := range envs {
			wg.Go(func() {
				if envs[k], errs[k] = automation.Open(ctx, opts); errs[k] == nil {
					_, errs[k] = envs[k].Up(ctx)
				}
			})
		}
		wg.Wait()
		// Whatever fails below, what the PR's stack deployed is destroyed
		// before newHarness looks for leaks.
		closed := false
		t.Cleanup(func() {
			for _, env := range envs {
				if env != nil && !closed {
					closed = true
					if err := env.Close(context.Background()); err != nil {
						t.Errorf("close %s: %v", env.Name, err)
					}
				}
			}
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("first: %v; second: %v", errs[0], errs[1])
		}
		if envs[0].Name != envs[1].Name {
			t.Errorf("two stacks for one PR: %s and %s", envs[0].Name, envs[1].Name)
		}
		if got := stacksIn(t, h, opts); !slices.Equal(got, []string{envs[0].Name}) {
			t.Errorf("stacks %v, want only %s", got, envs[0].Name)
		}
		if n := h.Provider.Deletes(); n != 0 {
			t.Errorf("%d resources deleted by two first updates", n)
		}
		closeMatching(t, h, state, envs[1], opts)
		closed = true
	})
}

// closeMatching checks that the state of env's stack (in the file backend
// state) holds exactly the resources live in the cloud, some, then closes
// env and checks that no stack is left (newHarness checks the cloud).
func closeMatching(t *testing.T, h harness, state string, env *automation.Env, opts automation.Options) {
	t.Helper()
	if inState, live := stateURNs(t, h, state, env.Name), h.Provider.Live(); !slices.Equal(inState, live) || len(live) == 0 {
		t.Errorf("the state holds %d resources, the cloud %d:\nstate %v\ncloud %v", len(inState), len(live), inState, live)
	}
	if err := env.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	noStacks(t, h, opts)
	noSidecars(t, state)
}

// noSidecars checks that the CLI's runs left no fileblob sidecar (.attrs)
// in the file backend: a sidecar is rewritten in place, and a run reading a
// stack while another wrote it once met one empty ("failed to load
// checkpoint: EOF").
func noSidecars(t *testing.T, state string) {
	t.Helper()
	var found []string
	err := filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".attrs") {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("sidecars in the backend: %v", found)
	}
}

// A pull request's stack is named by its number, owner and backend: the
// same for every run of one owner against one backend, another for another
// owner or another backend (one --owner may span two backends).
func TestPRStackName(t *testing.T) {
	a := automation.PRStackName(12, "acme/orderpipe", "backend-aaaa")
	for _, other := range []string{
		automation.PRStackName(12, "acme/orderpipe", "backend-bbbb"),
		automation.PRStackName(12, "acme/other", "backend-aaaa"),
		automation.PRStackName(13, "acme/orderpipe", "backend-aaaa"),
	} {
		if a == other {
			t.Errorf("PRStackName gives %s to two environments", a)
		}
	}
	if a != automation.PRStackName(12, "acme/orderpipe", "backend-aaaa") || !strings.HasPrefix(a, "pr-12-") || len(a) != len("pr-12-")+8 {
		t.Errorf("PRStackName: %s", a)
	}
}

// The backend the environment locks, tags and names its stack by is the
// one the CLI works in, even when PULUMI_BACKEND_URL (which the CLI
// prefers to the project's backend) names another: a CI job's secret with
// --state-dir given, or a variable left in a shell.
func TestBackendIsTheOneGivenWhateverTheVariable(t *testing.T) {
	h := newHarness(t)
	state, elsewhere := t.TempDir(), t.TempDir()
	opts := h.options(t, state)
	opts.EnvVars["PULUMI_BACKEND_URL"] = "file://" + filepath.ToSlash(elsewhere)
	env := newEnv(t, context.Background(), opts)
	if got := stacksIn(t, h, opts); !slices.Equal(got, []string{env.Name}) {
		t.Errorf("stacks in the given backend: %v, want %s", got, env.Name)
	}
	if got := h.Stacks(t, elsewhere); len(got) != 0 {
		t.Errorf("stacks in the backend of PULUMI_BACKEND_URL: %v", got)
	}
}

// A relative file backend is the one under the working directory for the
// CLI too, which the automation API runs in a directory of its own: the
// stack is where the lock is taken and where the user looks.
func TestRelativeBackendIsUnderTheWorkingDirectory(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("state", 0o755); err != nil {
		t.Fatal(err)
	}
	opts := h.options(t, "")
	opts.Backend = "file://state/"
	env := newEnv(t, context.Background(), opts)
	if got := h.Stacks(t, filepath.Join(dir, "state")); !slices.Equal(got, []string{env.Name}) {
		t.Errorf("stacks in %s: %v, want %s", filepath.Join(dir, "state"), got, env.Name)
	}
}

// The CLI's lock check lists the stack's lock directory; a temporary file
// another run renames there meanwhile fails the listing (stacklock's
// TestListWhileAnotherStackIsWritten measures it), before the CLI writes
// its lock. Up recovers and runs again rather than failing. The stand-in
// CLI fails its first `up` with the error the real one gives, then is the
// real one.
func TestUpAgainAfterAListingMidRename(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	failed := filepath.Join(t.TempDir(), "failed")
	opts.PulumiRoot = cliFailingFirst(t, h.Root, "up", failed,
		"error: could not list bucket: blob (code=NotFound): lstat "+opts.StateDir+
			"/.pulumi/locks/organization/orderpipe/s/0b0e.json.18ecd77254ff46a5.tmp: no such file or directory")
	env := newEnv(t, ctx, opts)
	if _, err := env.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(failed); err != nil {
		t.Errorf("the stand-in CLI never failed: %v", err)
	}
}

// cliFailingFirst is a CLI root whose bin/pulumi, the first time it runs
// command, writes stderr as the CLI does on a failure and exits 255 (and
// creates marker); else it is the CLI of root.
func cliFailingFirst(t *testing.T, root, command, marker, stderr string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
for a in "$@"; do
	if [ "$a" = %[1]q ] && [ ! -e %[2]q ]; then
		: > %[2]q
		printf '%%s\n' %[3]q >&2
		exit 255
	fi
done
exec %[4]q "$@"
`, command, marker, stderr, filepath.Join(root, "bin", "pulumi"))
	if err := os.WriteFile(filepath.Join(dir, "bin", "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
