package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/internal/enginetest"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
)

// run runs the command line with the test's engine in the environment.
func runCLI(t *testing.T, h *enginetest.Harness, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, standIn(h))
	t.Logf("orderpipe-env %s → %d\n%s", strings.Join(args, " "), code, errOut.String())
	return code, out.String(), errOut.String()
}

// standIn connects to the stand-in provider's cloud.
func standIn(h *enginetest.Harness) connect {
	return func(_ context.Context, region string) (automation.Account, string, error) {
		if region == "" {
			region = fakeaws.Region
		}
		return h.Provider.CloudIn(region), region, nil
	}
}

func engine(t *testing.T) *enginetest.Harness {
	h := enginetest.New(t)
	t.Cleanup(func() { // after every other cleanup
		if live := h.Provider.Live(); len(live) > 0 {
			t.Errorf("%d resources left live in the cloud: %v", len(live), live)
		}
	})
	for k, v := range h.EnvVars() {
		t.Setenv(k, v)
	}
	t.Setenv("PULUMI_HOME", h.Home)
	t.Setenv("PULUMI_BACKEND_URL", "")
	return h
}

func TestEnvPreview(t *testing.T) {
	h := engine(t)
	state := t.TempDir()
	common := []string{"--state-dir", state, "--region", "eu-west-1", "--policy-pack", h.Pack, "--pulumi-root", h.Root}

	summary := filepath.Join(t.TempDir(), "summary.md")
	code, stdout, _ := runCLI(t, h, append([]string{"preview", "--name", "cli", "--summary", summary, "--json"}, common...)...)
	if code != cmdutil.ExitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	var res struct {
		Passed bool           `json:"passed"`
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || !res.Passed || res.Counts["create"] == 0 {
		t.Errorf("result %s (%v)", stdout, err)
	}
	if md, _ := os.ReadFile(summary); !strings.Contains(string(md), "✅ passed") {
		t.Errorf("summary:\n%s", md)
	}

	code, stdout, stderr := runCLI(t, h, append([]string{"preview", "--name", "cli", "--summary", summary, "--config", "visibilityTimeout=60"}, common...)...)
	if code != cmdutil.ExitPolicyViolation {
		t.Errorf("exit code %d, want %d for a mandatory violation", code, cmdutil.ExitPolicyViolation)
	}
	// Without --json: the verdict in one line, the violation said once.
	if !strings.HasSuffix(strings.TrimSpace(stdout), ": 1 mandatory policy violations (above)") || strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
		t.Errorf("stdout %q, want the verdict in one line", stdout)
	}
	if n := strings.Count(stderr, "visibilityTimeoutSeconds 60s"); n != 1 {
		t.Errorf("the violation is said %d times:\n%s", n, stderr)
	}
	if md, _ := os.ReadFile(summary); !strings.Contains(string(md), "sqs-visibility-timeout-ratio") {
		t.Errorf("summary lacks the violation:\n%s", md)
	}
	if left := h.Stacks(t, state); len(left) != 0 {
		t.Errorf("previews left stacks behind: %v", left)
	}
}

func TestEnvPullRequestLifecycle(t *testing.T) {
	h := engine(t)
	state := t.TempDir()
	common := []string{"--pr", "7", "--state-dir", state, "--region", "eu-west-1", "--pulumi-root", h.Root}
	var first struct {
		Stack   string         `json:"stack"`
		Outputs map[string]any `json:"outputs"`
	}
	code, stdout, _ := runCLI(t, h, append([]string{"up"}, common...)...)
	if err := json.Unmarshal([]byte(stdout), &first); code != cmdutil.ExitOK || err != nil || !strings.HasPrefix(first.Stack, "pr-7-") || first.Outputs["queueUrl"] == nil {
		t.Fatalf("up: %d %s", code, stdout)
	}
	// The next push updates the same stack.
	code, stdout, _ = runCLI(t, h, append([]string{"up"}, common...)...)
	if code != cmdutil.ExitOK || !strings.Contains(stdout, `"stack": "`+first.Stack+`"`) {
		t.Errorf("second up: %d %s", code, stdout)
	}
	code, stdout, _ = runCLI(t, h, append([]string{"destroy"}, common...)...)
	if code != cmdutil.ExitOK || strings.TrimSpace(stdout) != "removed "+first.Stack {
		t.Errorf("destroy: %d %s", code, stdout)
	}
	if left := h.Stacks(t, state); len(left) != 0 {
		t.Errorf("stacks left: %v", left)
	}
}

// A problem is said once, in the user's words: a bad configuration value
// fails the preview with the key, the value and the rule on one line of the
// engine's output, and the final error points to it rather than repeating
// the whole engine output.
func TestEnvPreviewSaysAProblemOnce(t *testing.T) {
	h := engine(t)
	state := t.TempDir()
	code, stdout, stderr := runCLI(t, h, "preview", "--name", "once", "--state-dir", state, "--region", "eu-west-1", "--pulumi-root", h.Root,
		"--config", "lambdaMemory=64", "--config", "lambdaTimout=5")
	if code != cmdutil.ExitError {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitError)
	}
	for _, problem := range []string{`orderpipe:lambdaMemory="64": must be a whole number from 128 to 10240 (MB)`, `orderpipe:lambdaTimout="5": is not an orderpipe setting; did you mean lambdaTimeout?`} {
		if n := strings.Count(stdout+stderr, problem); n != 1 {
			t.Errorf("%q said %d times:\n%s\n%s", problem, n, stdout, stderr)
		}
	}
	for _, noise := range []string{"stderr:", "stdout:", "code: "} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr holds the Automation API's raw output (%q):\n%s", noise, stderr)
		}
	}
	if left := h.Stacks(t, state); len(left) != 0 {
		t.Errorf("stacks left: %v", left)
	}
}

// Outside the checkout, the error says where to run it from.
func TestEnvOutsideTheProject(t *testing.T) {
	h := engine(t)
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, h, "preview", "--name", "away", "--state-dir", t.TempDir(), "--pulumi-root", h.Root)
	if code != cmdutil.ExitError || !strings.Contains(stderr, "run it from the orderpipe checkout") || strings.Contains(stderr, "ModuleDir;") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	noAccount := func(context.Context, string) (automation.Account, string, error) {
		return nil, "", errors.New("no account in this test")
	}
	if code := run(context.Background(), []string{"preview", "--config", "novalue"}, &out, &errOut, noAccount); code != cmdutil.ExitError ||
		!strings.Contains(errOut.String(), `--config "novalue": want key=value`) {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"destroy"}, &out, &errOut, noAccount); code != cmdutil.ExitError ||
		!strings.Contains(errOut.String(), "destroy needs --pr or --stack") {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
}

// sweep reports before it acts: without --yes it names each expired stack and
// removes nothing; with --yes it removes them and says so, one line each.
func TestEnvSweepDryRunThenYes(t *testing.T) {
	h := engine(t)
	state := t.TempDir()
	common := []string{"--state-dir", state, "--region", "eu-west-1", "--pulumi-root", h.Root}
	code, stdout, _ := runCLI(t, h, append([]string{"up", "--pr", "8", "--ttl", "1ms"}, common...)...)
	var up struct {
		Stack string `json:"stack"`
	}
	if err := json.Unmarshal([]byte(stdout), &up); code != cmdutil.ExitOK || err != nil {
		t.Fatalf("up: %d %s", code, stdout)
	}
	// Right after its update a stack is left alone, expired or not.
	code, stdout, _ = runCLI(t, h, append([]string{"sweep", "--yes"}, common...)...)
	if code != cmdutil.ExitOK || !strings.HasPrefix(stdout, "skipped stack "+up.Stack+": updated ") {
		t.Errorf("sweep right after the update: %d\n%s", code, stdout)
	}
	common = append(common, "--recent-update", "1ns")
	code, stdout, _ = runCLI(t, h, append([]string{"sweep"}, common...)...)
	want := "would remove stack " + up.Stack + " (expired)\nwould remove 1 stacks and 0 resources no stack knows; run again with --yes to remove them\n"
	if code != cmdutil.ExitOK || stdout != want {
		t.Errorf("dry run: %d\n%s\nwant\n%s", code, stdout, want)
	}
	if left := h.Stacks(t, state); len(left) != 1 || h.Provider.Deletes() != 0 {
		t.Fatalf("the dry run removed something: stacks %v, %d deletes", left, h.Provider.Deletes())
	}
	code, stdout, _ = runCLI(t, h, append([]string{"sweep", "--yes"}, common...)...)
	want = "removed stack " + up.Stack + " (expired)\nremoved 1 stacks and 0 resources no stack knows\n"
	if code != cmdutil.ExitOK || stdout != want {
		t.Errorf("sweep --yes: %d\n%s\nwant\n%s", code, stdout, want)
	}
	if left := h.Stacks(t, state); len(left) != 0 {
		t.Errorf("stacks left: %v", left)
	}
}

// sweep --yes on the implicit local backend (no --backend, no
// $PULUMI_BACKEND_URL, no --state-dir) is refused before anything is looked
// at: it would take every environment of the account for an orphan of this
// checkout. A dry run is not refused.
func TestSweepYesNeedsABackend(t *testing.T) {
	t.Setenv("PULUMI_BACKEND_URL", "")
	var out, errOut bytes.Buffer
	connected := false
	conn := func(context.Context, string) (automation.Account, string, error) {
		connected = true
		return nil, "", errors.New("no account in this test")
	}
	code := run(context.Background(), []string{"sweep", "--max-age", "72h", "--yes"}, &out, &errOut, conn)
	if code != cmdutil.ExitError || connected {
		t.Errorf("exit %d, connected %v", code, connected)
	}
	for _, want := range []string{"--backend", "PULUMI_BACKEND_URL", "--state-dir"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("the refusal does not name %s: %s", want, errOut.String())
		}
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"sweep", "--yes", "--state-dir", t.TempDir()}, &out, &errOut, conn); !connected || strings.Contains(errOut.String(), "sweep --yes needs") {
		t.Errorf("with --state-dir: exit %d, connected %v: %s", code, connected, errOut.String())
	}
	// Both flags: refused, not one of them ignored.
	errOut.Reset()
	connected = false
	code = run(context.Background(), []string{"sweep", "--yes", "--backend", "file://" + t.TempDir(), "--state-dir", t.TempDir()}, &out, &errOut, conn)
	if code != cmdutil.ExitError || connected || !strings.Contains(errOut.String(), "--backend and --state-dir") {
		t.Errorf("with --backend and --state-dir: exit %d, connected %v: %s", code, connected, errOut.String())
	}
}

// destroy --stack refuses a stack that is not an ephemeral environment, such
// as the team's staging in the same backend, and leaves it as it was.
func TestEnvDestroyRefusesAStackThatIsNotEphemeral(t *testing.T) {
	h := engine(t)
	state := t.TempDir()
	ws := h.Workspace(t, state)
	if _, err := auto.NewStack(context.Background(), "staging", ws); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, h, "destroy", "--stack", "staging", "--state-dir", state, "--region", "eu-west-1", "--pulumi-root", h.Root)
	if code != cmdutil.ExitError || !strings.Contains(stderr, "staging: not an ephemeral environment") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if left := h.Stacks(t, state); len(left) != 1 || left[0] != "staging" {
		t.Errorf("stacks %v, want staging kept", left)
	}
	if err := ws.RemoveStack(context.Background(), "staging"); err != nil {
		t.Fatal(err)
	}
}
