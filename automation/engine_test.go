package automation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/enginetest"
	"github.com/orderpipe/orderpipe/policy/corpus"
	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

type harness struct{ *enginetest.Harness }

// newHarness starts the engine harness for a test, which must leave nothing
// live in the stand-in's cloud: checked after every other cleanup, so after
// the environments' Close.
func newHarness(t *testing.T) harness {
	h := harness{enginetest.New(t)}
	t.Cleanup(func() {
		if live := h.Provider.Live(); len(live) > 0 {
			t.Errorf("%d resources left live in the cloud, known to no stack: %v", len(live), live)
		}
	})
	return h
}

func (h harness) options(t *testing.T, stateDir string) automation.Options {
	return automation.Options{
		Prefix:      "test",
		StateDir:    stateDir,
		Region:      "eu-west-1",
		PolicyPacks: []string{h.Pack},
		PulumiRoot:  h.Root,
		PulumiHome:  h.Home,
		ModuleDir:   h.Module,
		EnvVars:     h.EnvVars(),
		Progress:    testWriter{t},
		Account:     h.Provider.Cloud(),
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { return enginetest.LogWriter{T: w.t}.Write(p) }

func stacksIn(t *testing.T, h harness, opts automation.Options) []string {
	return h.Stacks(t, opts.StateDir)
}

// programResources counts the resources the program registers, under mocks.
func programResources(t *testing.T) int {
	t.Helper()
	m := &stacktest.Mocks{}
	err := pulumi.RunErr(stack.Program(stack.Options{Builder: &stacktest.Builder{Dir: t.TempDir()}}),
		pulumi.WithMocks(automation.Project, "count", m))
	if err != nil {
		t.Fatal(err)
	}
	return len(m.Resources())
}

func newEnv(t *testing.T, ctx context.Context, opts automation.Options) *automation.Env {
	t.Helper()
	start := time.Now()
	env, err := automation.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(context.Background()); err != nil {
			t.Errorf("close %s: %v", env.Name, err)
		}
	})
	t.Logf("stack %s created in %v", env.Name, time.Since(start))
	return env
}

// 1. The default configuration previews cleanly through the policy pack,
// and the preview creates exactly the program's resources.
func TestPreviewDefault(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	env := newEnv(t, ctx, h.options(t, t.TempDir()))
	start := time.Now()
	res, err := env.Preview(ctx)
	t.Logf("preview took %v", time.Since(start))
	if err != nil {
		t.Fatalf("preview: %v\n%s", err, res.Markdown())
	}
	// The program's resources, its stack and the default AWS provider.
	if want := programResources(t) + 2; res.Counts["create"] != want || len(res.Counts) != 1 {
		t.Errorf("counts %v, want create %d", res.Counts, want)
	}
	for _, p := range res.Policies {
		if p.Level == "mandatory" {
			t.Errorf("mandatory violation: %+v", p)
		}
	}
	if !res.Passed || !strings.Contains(res.Markdown(), "✅ passed") {
		t.Errorf("not passed:\n%s", res.Markdown())
	}
	// As with the real provider, a first preview knows no ARN: the checks
	// that need one are deferred, and the summary says which.
	if !slices.Contains(res.Deferred, "iam-least-privilege: ProcessOrderLambdaRolePolicy not checked: its policy is unknown until apply") ||
		!strings.Contains(res.Markdown(), fmt.Sprintf("%d checks deferred", len(res.Deferred))) {
		t.Errorf("deferred %q; summary:\n%s", res.Deferred, res.Markdown())
	}
	for _, p := range res.Policies {
		if p.Policy == "preview-unknowns" {
			t.Errorf("the deferred checks are listed as a violation: %+v", p)
		}
	}
}

// 2. A visibility timeout below the ratio fails the preview, and the result
// still carries the violation.
func TestPreviewPolicyViolation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	opts.Config = map[string]string{"visibilityTimeout": "60"}
	env := newEnv(t, ctx, opts)
	res, err := env.Preview(ctx)
	if !errors.Is(err, automation.ErrPolicyViolation) {
		t.Fatalf("error %v, want ErrPolicyViolation", err)
	}
	var found bool
	for _, p := range res.Policies {
		if p.Policy == "sqs-visibility-timeout-ratio" && p.Level == "mandatory" && p.Pack == "orderpipe" &&
			strings.HasSuffix(p.URN, "::OrderQueue") && strings.Contains(p.Message, "OrderQueue visibilityTimeoutSeconds 60s < 6 × ProcessOrderLambda's timeout 30s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 180s") {
			found = true
		}
	}
	if !found || res.Passed {
		t.Errorf("the violation is not in the result: %+v", res.Policies)
	}
	md := res.Markdown()
	for _, want := range []string{"❌ failed", "| mandatory | `orderpipe/sqs-visibility-timeout-ratio` | OrderQueue |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// 3. up → outputs → a second preview shows no change (the function archive
// is reproducible) → close → the stack is gone from the backend.
func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	env, err := automation.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close(ctx)

	start := time.Now()
	out, err := env.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up took %v", time.Since(start))
	for _, k := range []string{spec.OutputTopicArn, spec.OutputQueueURL, spec.OutputDLQURL, spec.OutputTableName, spec.OutputFunctionName, spec.OutputAlarmTopicArn} {
		if s, _ := out[k].(string); !strings.Contains(s, env.Name) {
			t.Errorf("output %s = %v, want a name of stack %s", k, out[k], env.Name)
		}
	}

	res, err := env.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Counts) != 0 {
		t.Errorf("second preview changes %v: %+v", res.Counts, res.Changes)
	}

	if err := env.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}
	if got := stacksIn(t, h, opts); len(got) != 0 {
		t.Errorf("stacks left in the backend: %v", got)
	}
	if h.Provider.Creates() == 0 || h.Provider.Creates() != h.Provider.Deletes() {
		t.Errorf("%d resources created, %d deleted", h.Provider.Creates(), h.Provider.Deletes())
	}
}

// cancelAfterFirstCreate cancels the run as soon as its first AWS resource
// is created, reading the engine's events as JSON lines.
type cancelAfterFirstCreate struct {
	t      *testing.T
	cancel context.CancelFunc
	once   *sync.Once
}

func (c cancelAfterFirstCreate) Write(p []byte) (int, error) {
	var ev struct {
		ResOutputsEvent *struct {
			Metadata struct{ Op, Type, URN string }
		}
	}
	if json.Unmarshal(p, &ev) == nil && ev.ResOutputsEvent != nil && ev.ResOutputsEvent.Metadata.Op == "create" &&
		strings.HasPrefix(ev.ResOutputsEvent.Metadata.Type, "aws:") {
		c.once.Do(func() {
			c.t.Logf("cancelling after the create of %s", ev.ResOutputsEvent.Metadata.URN)
			c.cancel()
		})
	}
	return len(p), nil
}

// 4. An update cancelled between creates, while later ones are still to
// come (the function's create takes 3 s), stops, and Close leaves no stack
// and nothing live.
func TestCancelledUpLeavesNothing(t *testing.T) {
	h := newHarness(t)
	h.Provider.SlowCreates("aws:lambda/function:Function", 3*time.Second, nil)
	ctx, cancel := context.WithCancel(context.Background())
	opts := h.options(t, t.TempDir())
	opts.Progress, opts.JSON = cancelAfterFirstCreate{t, cancel, &sync.Once{}}, true
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(ctx); err == nil {
		t.Error("the cancelled update succeeded")
	}
	if err := env.Close(ctx); err != nil { // ctx is cancelled: Close runs regardless
		t.Fatal(err)
	}
	if got := stacksIn(t, h, opts); len(got) != 0 {
		t.Errorf("stacks left in the backend: %v", got)
	}
	if h.Provider.Creates() == 0 {
		t.Error("nothing was created before the cancel")
	}
}

// 5. Two environments in one backend and account do not collide.
func TestTwoEnvironments(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	a, b := newEnv(t, ctx, h.options(t, state)), newEnv(t, ctx, h.options(t, state))
	var outA, outB map[string]any
	var errA, errB error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); outA, errA = a.Up(ctx) }()
	go func() { defer wg.Done(); outB, errB = b.Up(ctx) }()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.Name == b.Name {
		t.Fatalf("both stacks are %s", a.Name)
	}
	for k, v := range outA {
		if outB[k] == v {
			t.Errorf("output %s is %v in both stacks", k, v)
		}
	}
}

// 6. Sweep removes an expired ephemeral stack and keeps a fresh one.
func TestSweep(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	old := h.options(t, state)
	old.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) } // expired a day ago
	expiredEnv, err := automation.New(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := expiredEnv.Up(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := newEnv(t, ctx, h.options(t, state))

	// Two hours on: the fresh stack has not expired, and the expired one
	// has not been updated for longer than a run could be bringing it up.
	later := h.options(t, state)
	later.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	// A dry run reports and removes nothing.
	dry, err := automation.Sweep(ctx, later, automation.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dry.Stacks, []string{expiredEnv.Name}) || len(dry.Orphans) != 0 || h.Provider.Deletes() != 0 {
		t.Errorf("dry run: %+v, %d deletes; want %s reported, nothing deleted", dry, h.Provider.Deletes(), expiredEnv.Name)
	}
	report, err := automation.Sweep(ctx, later, automation.SweepOptions{Act: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(report.Stacks, []string{expiredEnv.Name}) || len(report.Orphans) != 0 {
		t.Errorf("swept %+v, want only %s", report, expiredEnv.Name)
	}
	if got := stacksIn(t, h, h.options(t, state)); len(got) != 1 || got[0] != fresh.Name {
		t.Errorf("stacks left %v, want only %s", got, fresh.Name)
	}
}

// A destroy of a stack whose table has deletion protection stops before it
// deletes anything: not the queues, not the topic, not the messages in them.
// Lifting the protection is an update of its own; then the stack goes.
func TestProtectedDestroyDeletesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	opts.PR = 9001
	opts.Config = map[string]string{"deletionProtection": "true"}
	env, err := automation.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(ctx); err != nil {
		t.Fatal(err)
	}
	err = env.Destroy(ctx)
	var opErr *automation.OpError
	if !errors.As(err, &opErr) || !strings.Contains(opErr.Err.Error(), "protected") {
		t.Errorf("destroy of a protected stack: %v; want it refused for the protected resources", err)
	}
	if n := h.Provider.Deletes(); n != 0 {
		t.Errorf("the refused destroy deleted %d resources", n)
	}

	opts.Config["deletionProtection"] = "false"
	unprotected, err := automation.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !unprotected.Existing || unprotected.Name != env.Name {
		t.Fatalf("opened %s (existing %v), want %s", unprotected.Name, unprotected.Existing, env.Name)
	}
	if _, err := unprotected.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := unprotected.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if h.Provider.Creates() == 0 || h.Provider.Creates() != h.Provider.Deletes() {
		t.Errorf("%d resources created, %d deleted", h.Provider.Creates(), h.Provider.Deletes())
	}
	if got := stacksIn(t, h, opts); len(got) != 0 {
		t.Errorf("stacks left in the backend: %v", got)
	}
}

// An ephemeral stack is destroyable whatever its name: prefix "prod" would
// make it production-like, with deletion protection on.
func TestEphemeralStackNamedProdIsDestroyable(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	opts := h.options(t, t.TempDir())
	opts.Prefix = "prod"
	env, err := automation.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(env.Name, "prod-") {
		t.Fatalf("stack %s", env.Name)
	}
	if _, err := env.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(ctx); err != nil {
		t.Fatalf("close %s: %v", env.Name, err)
	}
	if h.Provider.Creates() == 0 || h.Provider.Creates() != h.Provider.Deletes() {
		t.Errorf("%d resources created, %d deleted", h.Provider.Creates(), h.Provider.Deletes())
	}
}

// Without the AWS provider plugin the error says so in one line, with the
// command that installs it, before the engine tries to download anything.
func TestMissingPluginSaysHowToInstallIt(t *testing.T) {
	h := newHarness(t)
	opts := h.options(t, t.TempDir())
	// No stand-in provider, no plugin installed, and nowhere to download it from.
	opts.EnvVars = map[string]string{"PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES": "^github://api.github.com/pulumi=http://127.0.0.1:1"}
	opts.PulumiHome = t.TempDir()
	_, err := automation.New(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "pulumi plugin install resource aws v") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v; want one line naming the plugin and the command", err)
	}
}

// Other teams' programs (the policy corpus) through the real engine, as a
// pull request's first preview runs them: the stand-in provider leaves ids,
// ARNs and URLs unknown, as the real one does. The pack gives no mandatory
// verdict the update would not, and defers, not passes, what it cannot give
// yet. Every fourth program keeps the run short; the pack's own tests run
// all of them under mocks. The engine's stack is not named "dev", so
// stack-scoped-names is left out here.
func TestCorpusFirstPreviews(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	programs := corpus.Programs()
	ran := 0
	for i := 0; i < len(programs); i += 4 {
		c := programs[i]
		ran++
		t.Run(c.Name, func(t *testing.T) {
			opts := h.options(t, t.TempDir())
			opts.Prefix, opts.Program, opts.Progress = "corpus", c.Run, nil
			env := newEnv(t, ctx, opts)
			res, err := env.Preview(ctx)
			if res == nil {
				t.Fatalf("preview: %v", err)
			}
			var said []string
			for _, p := range res.Policies {
				if p.Level == "mandatory" && p.Policy != "stack-scoped-names" {
					said = append(said, p.Policy+" "+p.URN[strings.LastIndex(p.URN, "::")+2:])
				}
			}
			deferred := strings.Join(res.Deferred, "\n")
			for _, v := range said {
				if !slices.Contains(c.Want, v) {
					t.Errorf("the first preview says %s, which the update would not", v)
				}
			}
			for _, v := range c.Want {
				policy, _, _ := strings.Cut(v, " ")
				if policy != "stack-scoped-names" && !slices.Contains(said, v) && !strings.Contains(deferred, policy+":") {
					t.Errorf("%s neither said nor deferred; deferred:\n%s", v, deferred)
				}
			}
			mandatory := slices.ContainsFunc(res.Policies, func(p automation.PolicyResult) bool { return p.Level == "mandatory" })
			if mandatory != errors.Is(err, automation.ErrPolicyViolation) {
				t.Errorf("preview error %v with mandatory verdicts %v", err, res.Policies)
			}
		})
	}
	if ran < 15 {
		t.Errorf("ran %d programs through the engine, want at least 15", ran)
	}
}

// Cancelled while a create takes longer than the Automation API's grace
// (10 s, after which it kills the CLI): the CLI is interrupted, lets the
// create finish and records it, and Close removes everything. Nothing stays
// live, no stack stays.
func TestCancelDuringASlowCreate(t *testing.T) {
	h := newHarness(t)
	started := make(chan string, 1)
	h.Provider.SlowCreates("aws:dynamodb/table:Table", 12*time.Second, started)
	opts := h.options(t, t.TempDir())
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		t.Logf("cancelling during the slow create of %s", <-started)
		cancel()
	}()
	start := time.Now()
	if _, err := env.Up(ctx); err == nil {
		t.Error("the cancelled update succeeded")
	}
	t.Logf("the cancelled update stopped after %v", time.Since(start))
	if err := env.Close(context.Background()); err != nil {
		t.Fatalf("close after the cancel: %v", err)
	}
	if got := stacksIn(t, h, opts); len(got) != 0 {
		t.Errorf("stacks left in the backend: %v", got)
	}
	// newHarness checks that nothing is live.
}
