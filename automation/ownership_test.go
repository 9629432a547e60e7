package automation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/spec"
)

// repeats is how often each race and kill scenario runs: each run must end
// the same way.
const repeats = 3

// repeat runs f repeats times, in parallel subtests named prefix and the
// run's number.
func repeat(t *testing.T, prefix string, f func(t *testing.T, i int)) {
	for i := range repeats {
		t.Run(prefix+fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			f(t, i)
		})
	}
}

// otherOwner is the owner tag of resources that are not ours.
const otherOwner = "backend-someone-else"

// A killed update leaves a create pending whose name another owner's
// resource holds (on AWS: CreateQueue and CreateTopic return the existing
// one, PutMetricAlarm and PutDashboard overwrite, the provider retries
// Lambda's ResourceConflictException for minutes, and a cancel in that
// window leaves the pending create). Recovery and Close leave it alone,
// whether it carries another owner's tags under the same stack tag or none,
// and remove everything of ours: exactly the other owner's resource stays.
func TestRecoveryLeavesWhatIsNotOurs(t *testing.T) {
	for _, c := range []struct {
		typ, logical string
		name         func(spec.Namer) string
		tagged       bool // by another owner, with our stack's tag; else untagged
		// overwritten: the other owner's was there first and our create
		// overwrote it (PutDashboard), rather than came after ours.
		overwritten bool
	}{
		{tableType, spec.TableName, func(n spec.Namer) string { return n.Name(spec.DynamoDB, spec.TableName) }, false, false},
		{"aws:sqs/queue:Queue", spec.QueueName, func(n spec.Namer) string { return n.Name(spec.SQS, spec.QueueName) }, true, false},
		{"aws:sns/topic:Topic", spec.TopicName, func(n spec.Namer) string { return n.Name(spec.SNS, spec.TopicName) }, false, false},
		{"aws:lambda/function:Function", spec.FunctionName, func(n spec.Namer) string { return n.Name(spec.Lambda, spec.FunctionName) }, true, false},
		{"aws:cloudwatch/metricAlarm:MetricAlarm", spec.DLQAlarmName, func(n spec.Namer) string { return n.Name(spec.CloudWatch, spec.DLQAlarmName) }, false, false},
		{"aws:cloudwatch/dashboard:Dashboard", spec.DashboardName, func(n spec.Namer) string { return n.Global(spec.CloudWatch, "eu-west-1", spec.DashboardName) }, false, true},
	} {
		repeat(t, c.logical+"/", func(t *testing.T, i int) {
			h := newHarness(t)
			ctx := context.Background()
			opts := killedOptions(t, h, t.TempDir())
			var log strings.Builder
			opts.Progress = io.MultiWriter(&log, testWriter{t})
			env, err := automation.New(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			cloud := h.Provider.Cloud()
			name := c.name(spec.Namer{Project: automation.Project, Stack: env.Name})
			var tags map[string]string
			if c.tagged {
				tags = map[string]string{automation.TagEphemeral: "true", spec.TagProject: automation.Project, spec.TagStack: env.Name, automation.TagOwner: otherOwner}
			}
			var other account.Resource
			if c.overwritten {
				// Theirs first, as AWS sees it: our create overwrites it,
				// and its body then names our resources.
				if other, err = h.Provider.PutDashboard(name, `{"widgets":[]}`); err != nil {
					t.Fatal(err)
				}
			}
			killCreating(t, h, env, c.typ, c.logical)

			if !c.overwritten {
				// The name now holds another owner's resource.
				ours, found, err := cloud.Find(ctx, c.typ, name)
				if err != nil || !found {
					t.Fatalf("find %s: %v %v", name, found, err)
				}
				if err := cloud.Delete(ctx, ours); err != nil {
					t.Fatal(err)
				}
				if other, err = h.Provider.Put(c.typ, name, tags); err != nil {
					t.Fatal(err)
				}
			}

			if err := env.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if live := h.Provider.Live(); len(live) != 1 || !strings.Contains(live[0], "other-owner") {
				t.Errorf("live after the recovery and Close: %v; want exactly the other owner's %s", live, name)
			}
			if r, found, err := cloud.Find(ctx, c.typ, name); err != nil || !found || r.ARN != other.ARN {
				t.Errorf("the other owner's %s: %+v %v %v", name, r, found, err)
			}
			if !strings.Contains(log.String(), "leaving "+account.Describe(other.ARN)) {
				t.Errorf("the progress does not report the resource it left:\n%s", log.String())
			}
			noStacks(t, h, opts)
			if err := cloud.Delete(ctx, other); err != nil { // the other owner's cleanup
				t.Fatal(err)
			}
		})
	}
}

// Two updates of one pull request's environment at once (a local `up --pr N`
// beside CI's): the second's recovery waits for the first's lock before it
// reads anything, so the first's creates in flight are never taken for a
// killed run's, and nothing is deleted under it. They end with one
// environment whose state matches the cloud.
func TestTwoUpsOfOnePR(t *testing.T) {
	repeat(t, "", func(t *testing.T, i int) {
		h := newHarness(t)
		ctx := context.Background()
		state := t.TempDir()
		first, opts, waitFirst := prUpInFlight(t, h, state, 4300+i, 6*time.Second)
		second, err := automation.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if second.Name != first.Name {
			t.Fatalf("opened %s, want %s", second.Name, first.Name)
		}
		_, errSecond := second.Up(ctx)
		if errFirst := waitFirst(); errFirst != nil || errSecond != nil {
			t.Fatalf("first: %v; second: %v", errFirst, errSecond)
		}
		if n := h.Provider.Deletes(); n != 0 {
			t.Errorf("%d resources deleted by two updates", n)
		}
		if got := stacksIn(t, h, opts); !slices.Equal(got, []string{first.Name}) {
			t.Errorf("stacks %v, want only %s", got, first.Name)
		}
		closeMatching(t, h, state, second, opts)
	})
}

// prUpInFlight opens PR pr's environment in the file backend state and
// starts its update, whose table's create takes slow; it returns once that
// create is in flight, pending in the state. wait waits for the update's end
// and returns its error.
func prUpInFlight(t *testing.T, h harness, state string, pr int, slow time.Duration) (env *automation.Env, opts automation.Options, wait func() error) {
	t.Helper()
	opts = h.options(t, state)
	opts.PR = pr
	env, err := automation.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	h.Provider.SlowCreates(tableType, slow, started)
	done := make(chan error, 1)
	go func() {
		_, err := env.Up(context.Background())
		done <- err
	}()
	<-started
	return env, opts, func() error { return <-done }
}

// The nightly sweep meets an update of an expired pull request's stack (a
// push after days of quiet): the update's environment stays intact, whether
// the push has pushed the expiry back before the sweep reads it, or the
// sweep takes the stack for expired all the same and finds it locked.
func TestSweepDuringAnUp(t *testing.T) {
	for _, c := range []struct {
		name  string
		later time.Duration // when the sweep runs, after the push
		slow  time.Duration // the update's table create: still running when the sweep gets to the stack
		says  string
	}{
		{"expiry pushed back", 0, 8 * time.Second, ""},
		// Its clock so far on, the sweep takes the stack for expired and
		// idle; only the update's lock keeps it off.
		{"locked", 48 * time.Hour, 90 * time.Second, "locked by a run that may still be going"},
	} {
		repeat(t, c.name+"/", func(t *testing.T, i int) {
			h := newHarness(t)
			ctx := context.Background()
			state := t.TempDir()
			opts := h.options(t, state)
			opts.PR, opts.TTL = 4400+i, time.Minute
			env, err := automation.Open(ctx, opts) // a stack that expired long ago
			if err != nil {
				t.Fatal(err)
			}
			push := opts
			push.TTL = 0
			push.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			pushed, err := automation.Open(ctx, push)
			if err != nil || pushed.Name != env.Name {
				t.Fatalf("the push opened %v (%v), want %s", pushed, err, env.Name)
			}
			started := make(chan string, 1)
			h.Provider.SlowCreates(tableType, c.slow, started)
			var errUp error
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); _, errUp = pushed.Up(ctx) }()
			<-started

			sweeper := h.options(t, state)
			sweeper.Now = func() time.Time { return time.Now().Add(2*time.Hour + c.later) }
			report, err := automation.Sweep(ctx, sweeper, automation.SweepOptions{Act: true})
			t.Logf("sweep: %+v", report)
			if err != nil || len(report.Stacks) != 0 || len(report.Orphans) != 0 {
				t.Errorf("the sweep removed %+v (%v)", report, err)
			}
			if c.says != "" && (len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Why, c.says)) {
				t.Errorf("skipped %+v, want %s for %q", report.Skipped, env.Name, c.says)
			}
			wg.Wait()
			if errUp != nil {
				t.Fatal(errUp)
			}
			if n := h.Provider.Deletes(); n != 0 {
				t.Errorf("%d resources deleted", n)
			}
			if inState, live := stateURNs(t, h, state, env.Name), h.Provider.Live(); !slices.Equal(inState, live) || len(live) == 0 {
				t.Errorf("the state holds %d resources, the cloud %d", len(inState), len(live))
			}
			if err := pushed.Close(ctx); err != nil {
				t.Fatal(err)
			}
			noStacks(t, h, opts)
		})
	}
}

// Two backends (two teams, or a laptop and CI) in one account: a sweep of
// one never removes the other's live environment, even one long expired,
// and the other's own sweep closes it with no error; whether each backend
// is its own owner (the default) or both share one --owner (the
// repository), as CI's and a laptop's do.
func TestSweepSparesAnotherBackend(t *testing.T) {
	for _, owner := range []string{"", "example/orderpipe"} {
		repeat(t, "owner="+owner+"/", func(t *testing.T, i int) {
			h := newHarness(t)
			ctx := context.Background()
			theirs := h.options(t, t.TempDir())
			theirs.PR, theirs.TTL, theirs.Owner = 4500+i, time.Minute, owner
			env, err := automation.Open(ctx, theirs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Up(ctx); err != nil {
				t.Fatal(err)
			}
			live := h.Provider.Live()

			ours := h.options(t, t.TempDir())
			ours.Owner = owner
			ours.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
			report, err := automation.Sweep(ctx, ours, automation.SweepOptions{Act: true})
			if err != nil || len(report.Stacks)+len(report.Orphans) != 0 {
				t.Errorf("the other backend's sweep removed %+v (%v)", report, err)
			}
			if after := h.Provider.Live(); !slices.Equal(after, live) || h.Provider.Deletes() != 0 {
				t.Errorf("%d resources live after the other backend's sweep, %d before; %d deletes", len(after), len(live), h.Provider.Deletes())
			}

			theirs.Now = ours.Now
			report, err = automation.Sweep(ctx, theirs, automation.SweepOptions{Act: true})
			if err != nil || !slices.Equal(report.Stacks, []string{env.Name}) {
				t.Errorf("its own sweep: %+v (%v), want %s closed", report, err, env.Name)
			}
			noStacks(t, h, theirs)
		})
	}
}

// The sweep's rules for what no state knows, with no environment deployed:
// resources of a lost stack (their stack is in no backend), of this owner
// and backend, expired, go; one without the backend tag (from before it
// was written, or made by hand) is reported and left; the lost stack's
// dashboard, which takes no tags and whose name PutDashboard overwrites,
// goes only when everything it shows is gone or goes too.
func TestSweepOrphanRules(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	opts.Owner = "example/orderpipe"
	backend := automation.BackendOwner("file://" + filepath.ToSlash(opts.StateDir))
	expired := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tags := func(stack, backend string) map[string]string {
		t := map[string]string{automation.TagEphemeral: "true", spec.TagProject: automation.Project, spec.TagStack: stack,
			automation.TagOwner: opts.Owner, automation.TagExpires: expired}
		if backend != "" {
			t[automation.TagBackend] = backend
		}
		return t
	}
	// Lost stacks: "gone" entirely ours; "shared", whose queue is not proven
	// ours (no backend tag); "other", another backend's.
	cloud := h.Provider.Cloud()
	put := func(typ, name string, tags map[string]string) account.Resource {
		t.Helper()
		r, err := h.Provider.Put(typ, name, tags)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	goes := map[string]bool{}
	var stays []account.Resource
	for _, stack := range []string{"gone", "shared", "other"} {
		n := spec.Namer{Project: automation.Project, Stack: stack}
		owner := backend
		if stack == "other" {
			owner = automation.BackendOwner("s3://someone-elses-state")
		}
		fn := put("aws:lambda/function:Function", n.Name(spec.Lambda, spec.FunctionName), tags(stack, owner))
		table := put(tableType, n.Name(spec.DynamoDB, spec.TableName), tags(stack, owner))
		queueOwner := owner
		if stack == "shared" {
			queueOwner = ""
		}
		queue := put("aws:sqs/queue:Queue", n.Name(spec.SQS, spec.QueueName), tags(stack, queueOwner))
		body := fmt.Sprintf(`{"widgets":[%q,%q,%q]}`, n.Name(spec.Lambda, spec.FunctionName), n.Name(spec.DynamoDB, spec.TableName), n.Name(spec.SQS, spec.QueueName))
		dash, err := h.Provider.PutDashboard(n.Global(spec.CloudWatch, "eu-west-1", spec.DashboardName), body)
		if err != nil {
			t.Fatal(err)
		}
		switch stack {
		case "gone":
			for _, r := range []account.Resource{fn, table, queue, dash} {
				goes[r.ARN] = true
			}
		case "shared":
			goes[fn.ARN], goes[table.ARN] = true, true
			stays = append(stays, queue, dash)
		default:
			stays = append(stays, fn, table, queue, dash)
		}
	}

	report, err := automation.Sweep(ctx, opts, automation.SweepOptions{Act: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweep: %+v", report)
	deleted := map[string]bool{}
	for _, o := range report.Orphans {
		deleted[o.ARN] = true
	}
	if !maps.Equal(deleted, goes) {
		t.Errorf("deleted %v, want %v", slices.Sorted(maps.Keys(deleted)), slices.Sorted(maps.Keys(goes)))
	}
	left := map[string]string{}
	for _, o := range report.Left {
		left[o.ARN] = o.Why
	}
	for _, r := range stays {
		// Another backend's resources are its own sweep's: not reported.
		if shared := strings.Contains(r.ARN, "-shared-"); shared != (left[r.ARN] != "") {
			t.Errorf("%s reported as left: %q", r.ARN, left[r.ARN])
		}
		if live := slices.ContainsFunc(h.Provider.Live(), func(urn string) bool {
			return strings.HasSuffix(urn, "::"+account.Name(r.ARN))
		}); !live {
			t.Errorf("%s is gone", r.ARN)
		}
		if err := cloud.Delete(ctx, r); err != nil { // their owners' cleanup
			t.Fatal(err)
		}
	}
	if n := len(h.Provider.Live()); n != 0 {
		t.Errorf("%d live after the owners' cleanup", n)
	}
}

// Close of a stack that is not an ephemeral environment is refused before
// anything changes: Select refuses it.
func TestSelectRefusesAStackThatIsNotEphemeral(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	ws := h.Workspace(t, state)
	if _, err := auto.NewStack(ctx, "staging", ws); err != nil {
		t.Fatal(err)
	}
	_, err := automation.Select(ctx, h.options(t, state), "staging")
	if !errors.Is(err, automation.ErrNotEphemeral) {
		t.Errorf("select staging: %v", err)
	}
	if got := stacksIn(t, h, h.options(t, state)); !slices.Equal(got, []string{"staging"}) {
		t.Errorf("stacks %v", got)
	}
	if err := ws.RemoveStack(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
}

// stateURNs are the URNs of the AWS resources the stack's state holds,
// sorted as Provider.Live lists the cloud's.
func stateURNs(t *testing.T, h harness, state, stack string) []string {
	t.Helper()
	ws := h.Workspace(t, state)
	raw, err := ws.ExportStack(context.Background(), stack)
	if err != nil {
		t.Fatal(err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(raw.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.PendingOperations) > 0 {
		t.Errorf("pending operations left in the state: %+v", d.PendingOperations)
	}
	var urns []string
	for _, r := range d.Resources {
		if r.Custom && !strings.HasPrefix(string(r.Type), "pulumi:") {
			urns = append(urns, string(r.URN))
		}
	}
	slices.Sort(urns)
	return urns
}

// A us-east-1 environment whose update was killed mid-create, swept by a
// janitor configured for eu-west-1, where another owner has a table of the
// same name (a name is a region's): every account call about the stack goes
// to the stack's own region (its provider's), none to the janitor's; the
// sweep leaves nothing of it, and the other owner's table stays.
func TestJanitorWorksInTheStacksRegion(t *testing.T) {
	repeat(t, "", func(t *testing.T, i int) {
		h := newHarness(t)
		ctx := context.Background()
		state := t.TempDir()
		opts := killedOptions(t, h, state)
		opts.Region, opts.TTL, opts.Account = "us-east-1", time.Minute, h.Provider.CloudIn("us-east-1")
		env := killedEnv(t, h, opts)

		table := spec.Namer{Project: automation.Project, Stack: env.Name}.Name(spec.DynamoDB, spec.TableName)
		ours, found, err := h.Provider.CloudIn("us-east-1").Find(ctx, tableType, table)
		if err != nil || !found || !strings.HasPrefix(ours.ARN, "arn:aws:dynamodb:us-east-1:") {
			t.Fatalf("the killed run's table in us-east-1: %v %+v (%v)", found, ours, err)
		}
		if _, found, _ := h.Provider.Cloud().Find(ctx, tableType, table); found {
			t.Fatalf("the us-east-1 table %s is found in eu-west-1", table)
		}
		theirs, err := h.Provider.Put(tableType, table, map[string]string{automation.TagOwner: otherOwner})
		if err != nil || !strings.HasPrefix(theirs.ARN, "arn:aws:dynamodb:eu-west-1:") {
			t.Fatalf("another owner's table of the name in eu-west-1: %+v (%v)", theirs, err)
		}

		elsewhere := &counting{Account: h.Provider.Cloud()}
		janitor := h.options(t, state)
		janitor.Region, janitor.Account = "eu-west-1", elsewhere
		janitor.AccountIn = func(_ context.Context, region string) (automation.Account, error) {
			if region != "us-east-1" {
				return nil, fmt.Errorf("no account in %s in this test", region)
			}
			return h.Provider.CloudIn(region), nil
		}
		janitor.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		report, err := automation.Sweep(ctx, janitor, automation.SweepOptions{Act: true})
		if err != nil || !slices.Equal(report.Stacks, []string{env.Name}) {
			t.Errorf("sweep: %+v (%v), want %s closed", report, err, env.Name)
		}
		if n := elsewhere.finds.Load() + elsewhere.deletes.Load(); n != 0 {
			t.Errorf("%d lookups and deletes about the stack in the janitor's region", n)
		}
		if live := h.Provider.Live(); len(live) != 1 || !strings.Contains(live[0], "other-owner") {
			t.Errorf("live after the sweep: %v, want only the other owner's table", live)
		}
		if err := h.Provider.Cloud().Delete(ctx, theirs); err != nil { // the other owner's cleanup
			t.Fatal(err)
		}
		noStacks(t, h, opts)
	})
}

// counting is an account that counts the lookups and deletes made in it.
type counting struct {
	automation.Account
	finds, deletes atomic.Int64
}

func (a *counting) Find(ctx context.Context, typ, name string) (account.Resource, bool, error) {
	a.finds.Add(1)
	return a.Account.Find(ctx, typ, name)
}

func (a *counting) Delete(ctx context.Context, r account.Resource) error {
	a.deletes.Add(1)
	return a.Account.Delete(ctx, r)
}
