package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderpipe/orderpipe/internal/enginetest"
)

// run runs the command line with the test's engine in the environment.
func run(t *testing.T, h *enginetest.Harness, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	t.Logf("orderpipe %s → %d\n%s", strings.Join(args, " "), code, errOut.String())
	return code, out.String(), errOut.String()
}

func engine(t *testing.T) *enginetest.Harness {
	h := enginetest.New(t)
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
	code, stdout, _ := run(t, h, append([]string{"env", "preview", "--name", "cli", "--summary", summary}, common...)...)
	if code != ExitOK {
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

	code, _, _ = run(t, h, append([]string{"env", "preview", "--name", "cli", "--summary", summary, "--config", "visibilityTimeout=60"}, common...)...)
	if code != ExitPolicyViolation {
		t.Errorf("exit code %d, want %d for a mandatory violation", code, ExitPolicyViolation)
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
	code, stdout, _ := run(t, h, append([]string{"env", "up"}, common...)...)
	if err := json.Unmarshal([]byte(stdout), &first); code != ExitOK || err != nil || !strings.HasPrefix(first.Stack, "pr-7-") || first.Outputs["queueUrl"] == nil {
		t.Fatalf("up: %d %s", code, stdout)
	}
	// The next push updates the same stack.
	code, stdout, _ = run(t, h, append([]string{"env", "up"}, common...)...)
	if code != ExitOK || !strings.Contains(stdout, `"stack": "`+first.Stack+`"`) {
		t.Errorf("second up: %d %s", code, stdout)
	}
	code, stdout, _ = run(t, h, append([]string{"env", "destroy"}, common...)...)
	if code != ExitOK || strings.TrimSpace(stdout) != "removed "+first.Stack {
		t.Errorf("destroy: %d %s", code, stdout)
	}
	if left := h.Stacks(t, state); len(left) != 0 {
		t.Errorf("stacks left: %v", left)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"env", "preview", "--config", "novalue"}, &out, &errOut); code != ExitError ||
		!strings.Contains(errOut.String(), `--config "novalue": want key=value`) {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
	errOut.Reset()
	if code := Run(context.Background(), []string{"env", "destroy"}, &out, &errOut); code != ExitError ||
		!strings.Contains(errOut.String(), "destroy needs --pr or --stack") {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
}
