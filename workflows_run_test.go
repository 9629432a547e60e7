package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orderpipe/orderpipe/internal/proctest"
)

// workflow is the part of a GitHub Actions workflow file the tests read.
type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Concurrency map[string]any    `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		Permissions    map[string]string `yaml:"permissions"`
		TimeoutMinutes int               `yaml:"timeout-minutes"`
		Env            map[string]string `yaml:"env"`
		Steps          []step            `yaml:"steps"`
	} `yaml:"jobs"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
}

func readWorkflow(t *testing.T, name string) (workflow, *yaml.Node) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	var n yaml.Node
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	return w, &n
}

func (w workflow) step(t *testing.T, job, name string) step {
	t.Helper()
	for _, s := range w.Jobs[job].Steps {
		if s.Name == name || s.ID == name {
			return s
		}
	}
	t.Fatalf("job %s has no step %q", job, name)
	return step{}
}

// usesLines are the `uses:` values of a parsed workflow with their line
// comments.
func usesLines(n *yaml.Node) (out [][2]string) {
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "uses" {
					out = append(out, [2]string{n.Content[i+1].Value, n.Content[i+1].LineComment})
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

// runsEnv matches a line that runs an orderpipe-env command.
var runsEnv = regexp.MustCompile(`orderpipe-env" (preview|up|destroy|sweep)\b`)

var pinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)

// What GitHub's security hardening guide asks of workflows that hold
// id-token: write, and what a runner needs to deliver a cancel: actions
// pinned by full commit SHA (the version in a comment), permissions per job
// and none at the top, a timeout per job, the sweep in a concurrency group,
// and the env commands run as built binaries through exec, never `go run`.
func TestWorkflowsAreHardened(t *testing.T) {
	for _, name := range []string{"pull-request.yml", "sweep.yml"} {
		w, n := readWorkflow(t, name)
		if len(w.Permissions) != 0 {
			t.Errorf("%s: workflow-wide permissions %v; give each job its own", name, w.Permissions)
		}
		for _, u := range usesLines(n) {
			if !pinned.MatchString(u[0]) || !regexp.MustCompile(`^# v\d+\.\d+\.\d+$`).MatchString(u[1]) {
				t.Errorf("%s: uses %s %s; want owner/repo@<full commit SHA> # vX.Y.Z", name, u[0], u[1])
			}
		}
		for job, j := range w.Jobs {
			if len(j.Permissions) == 0 || j.TimeoutMinutes <= 0 {
				t.Errorf("%s: job %s has permissions %v and timeout-minutes %d", name, job, j.Permissions, j.TimeoutMinutes)
			}
			if j.Permissions["id-token"] == "write" && j.Permissions["pull-requests"] == "write" && job == "test" {
				t.Errorf("%s: the test job, which runs the PR's code, may write", name)
			}
			for _, s := range j.Steps {
				if strings.Contains(s.Run, "go run") || strings.Contains(s.Run, "--stale-lock-age 0") {
					t.Errorf("%s: step %q runs %q", name, s.Name, s.Run)
				}
				for _, line := range strings.Split(s.Run, "\n") {
					if runsEnv.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "exec ") {
						t.Errorf("%s: step %q runs orderpipe-env without exec, so a cancel's SIGINT does not reach it:\n%s", name, s.Name, line)
					}
				}
			}
		}
	}
	sweep, _ := readWorkflow(t, "sweep.yml")
	if sweep.Concurrency["group"] == nil || sweep.Concurrency["cancel-in-progress"] != false {
		t.Errorf("sweep concurrency %v; want a group that never cancels a running sweep", sweep.Concurrency)
	}
}

// stepRunner runs a workflow's run: steps as GitHub's runner does: each
// script in a file run by `bash --noprofile --norc -eo pipefail {0}` (the
// default shell of a Linux runner), with the workflow's, job's and step's
// env and ${{ }} expressions replaced from a table of the contexts the steps
// use; and a cancel as the runner sends it ("Canceling a workflow", GitHub
// docs): SIGINT to the step's process, SIGTERM 7.5 s later, and 2.5 s after
// that every process of the step killed (the runner finds them by the
// RUNNER_TRACKING_ID in their environment, as here).
type stepRunner struct {
	t        *testing.T
	w        workflow
	job      string
	dir      string            // the checkout
	temp     string            // RUNNER_TEMP
	contexts map[string]string // expression → value
	env      []string          // the runner's own environment

	mu      sync.Mutex
	tracked []string // the tracking ids of the steps run so far
	entries []int    // their entry processes, which the runner waits for
}

type stepResult struct {
	code    int
	output  string            // stdout and stderr
	outputs map[string]string // GITHUB_OUTPUT
	sent    []string          // what the cancel sent: INT, TERM, KILL (the tree)
	took    time.Duration
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

func (r *stepRunner) expand(s string) string {
	return expression.ReplaceAllStringFunc(s, func(m string) string {
		e := expression.FindStringSubmatch(m)[1]
		v, ok := r.contexts[e]
		if !ok {
			r.t.Fatalf("no value for ${{ %s }} in the test's contexts", e)
		}
		return v
	})
}

// run runs the step; cancel, when not nil, cancels it once it is closed.
func (r *stepRunner) run(s step, cancel <-chan struct{}) stepResult {
	t := r.t
	t.Helper()
	script := filepath.Join(r.temp, fmt.Sprintf("step-%d.sh", time.Now().UnixNano()))
	if err := os.WriteFile(script, []byte(r.expand(s.Run)), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := script + ".output"
	if err := os.WriteFile(outputs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tracking := fmt.Sprintf("RUNNER_TRACKING_ID=github_%d", time.Now().UnixNano())
	env := append(slices.Clone(r.env), "RUNNER_TEMP="+r.temp, "GITHUB_OUTPUT="+outputs, "GITHUB_WORKSPACE="+r.dir, "CI=true", tracking)
	for _, m := range []map[string]string{r.w.Env, r.w.Jobs[r.job].Env, s.Env} {
		for k, v := range m {
			env = append(env, k+"="+r.expand(v))
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir, cmd.Env = r.dir, env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.tracked, r.entries = append(r.tracked, tracking), append(r.entries, cmd.Process.Pid)
	r.mu.Unlock()
	var sent []string
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		if cancel == nil {
			return
		}
		select {
		case <-cancel:
		case <-done:
			return
		}
		cmd.Process.Signal(syscall.SIGINT)
		sent = append(sent, "INT")
		select {
		case <-time.After(7500 * time.Millisecond):
			cmd.Process.Signal(syscall.SIGTERM)
			sent = append(sent, "TERM")
		case <-done:
			return
		}
		select {
		case <-time.After(2500 * time.Millisecond):
			killTracked(t, tracking)
			sent = append(sent, "KILL")
		case <-done:
		}
	}()
	err := cmd.Wait()
	took := time.Since(start)
	close(done)
	<-finished
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return stepResult{code: code, output: out.String(), outputs: readOutputs(t, outputs), sent: sent, took: took}
}

// killTracked kills every process whose environment holds one of the
// tracking ids, and returns them.
func killTracked(t *testing.T, tracking ...string) []proctest.Process {
	all, err := proctest.Descendants()
	if err != nil {
		t.Fatal(err)
	}
	var killed []proctest.Process
	for _, p := range all {
		if env := environ(p.PID); slices.ContainsFunc(tracking, func(id string) bool { return slices.Contains(env, id) }) {
			syscall.Kill(p.PID, syscall.SIGKILL)
			killed = append(killed, p)
		}
	}
	return killed
}

// environ is the environment process pid started with.
func environ(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

func readOutputs(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

// probe stands in for the orderpipe-env binary the build step makes: a bash
// script (bash, unlike Go, cannot re-enable a SIGINT its parent made it
// ignore, so it is the stricter test) that logs its arguments and each
// signal it receives, then exits as PROBE_MODE says: "exit:N" at once with
// N; "int:N" with N on SIGINT or SIGTERM; "stubborn": never by itself (a CLI
// whose create outlasts the runner's grace). It leaves a child running, as
// orderpipe-env leaves the Pulumi CLI, for the tree kill to find.
const probe = `#!/usr/bin/env bash
echo "start $*" >> "$PROBE_LOG"
sleep 600 & child=$!
case "$PROBE_MODE" in
exit:*) kill $child; exit "${PROBE_MODE#exit:}" ;;
int:*) trap 'echo INT >> "$PROBE_LOG"; kill $child; exit "${PROBE_MODE#int:}"' INT
       trap 'echo TERM >> "$PROBE_LOG"; kill $child; exit "${PROBE_MODE#int:}"' TERM ;;
stubborn) trap 'echo INT >> "$PROBE_LOG"' INT; trap 'echo TERM >> "$PROBE_LOG"' TERM ;;
esac
while kill -0 $child 2>/dev/null; do wait $child; done
`

func newStepRunner(t *testing.T, file, job string) *stepRunner {
	w, _ := readWorkflow(t, file)
	dir, temp := t.TempDir(), t.TempDir()
	// The checkout: what the steps read of it.
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	helper, err := os.ReadFile(filepath.Join(".github", "forward-signals"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "forward-signals"), helper, 0o755); err != nil {
		t.Fatal(err)
	}
	// What the build step makes.
	if err := os.MkdirAll(filepath.Join(temp, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"orderpipe-env", "orderpipe-policy"} {
		if err := os.WriteFile(filepath.Join(temp, "bin", b), []byte(probe), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &stepRunner{t: t, w: w, job: job, dir: dir, temp: temp, env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()},
		contexts: runnerContexts(t.TempDir(), "")}
}

// runnerContexts are the values of the expressions the steps use, for a
// pull request of acme/orderpipe whose state is in a file backend.
func runnerContexts(stateDir, passphrase string) map[string]string {
	return map[string]string{
		"github.event.pull_request.number":    "4242",
		"github.token":                        "token",
		"github.repository":                   "acme/orderpipe",
		"vars.ORDERPIPE_PERMISSIONS_BOUNDARY": "arn:aws:iam::123456789012:policy/orderpipe-ci-boundary",
		"secrets.AWS_ROLE_ARN":                "", "secrets.AWS_JANITOR_ROLE_ARN": "",
		"secrets.PULUMI_BACKEND_URL": "file://" + filepath.ToSlash(stateDir), "secrets.PULUMI_CONFIG_PASSPHRASE": passphrase,
	}
}

func (r *stepRunner) probeLog() string {
	b, _ := os.ReadFile(filepath.Join(r.temp, "probe.log"))
	return string(b)
}

// The workflows' env-command steps, run as the runner runs them, deliver a
// cancel's SIGINT to the command, keep its exit code (2, a mandatory policy
// violation, apart from 1), run the cancelled() step's command, and leave no
// process running, also when the command outlasts the runner's grace and the
// step's processes are killed. A control step written as before (the
// command in the foreground of bash) shows what the runner's cancel did to
// it: no signal, and the command left running until the kill.
func TestWorkflowStepsUnderTheRunnersCancel(t *testing.T) {
	proctest.Check(t, 5*time.Second, "")
	cancelled := func(after time.Duration) <-chan struct{} {
		c := make(chan struct{})
		time.AfterFunc(after, func() { close(c) })
		return c
	}
	type want struct {
		code                 int
		signals              []string // what the command got, in order
		outputCode, contains string
	}
	for _, c := range []struct {
		name, file, job, step, mode string
		cancel                      bool
		want                        want
	}{
		{"preview: a mandatory violation keeps its code", "pull-request.yml", "preview", "preview", "exit:2", false,
			want{code: 2, outputCode: "2"}},
		{"preview: a failure keeps its code", "pull-request.yml", "preview", "preview", "exit:1", false,
			want{code: 1, outputCode: "1"}},
		{"preview: a cancel reaches the command", "pull-request.yml", "preview", "preview", "int:1", true,
			want{code: 1, signals: []string{"INT"}, outputCode: "1"}},
		{"up: a cancel reaches the command", "pull-request.yml", "preview", "Update the environment with the policy pack (makes the deferred checks)", "int:1", true,
			want{code: 1, signals: []string{"INT"}}},
		{"up: a command that outlasts the grace gets both signals and is killed", "pull-request.yml", "preview", "Update the environment with the policy pack (makes the deferred checks)", "stubborn", true,
			want{code: -1, signals: []string{"INT", "TERM"}}},
		{"up: a violation keeps its code", "pull-request.yml", "preview", "Update the environment with the policy pack (makes the deferred checks)", "exit:2", false,
			want{code: 2}},
		{"the cancelled() step destroys the environment", "pull-request.yml", "preview", "Destroy what a cancelled run left", "exit:0", false,
			want{code: 0, contains: "start destroy --pr 4242 --region eu-west-1"}},
		{"destroy: a cancel reaches the command", "pull-request.yml", "destroy", "Destroy the pull request's environment", "int:1", true,
			want{code: 1, signals: []string{"INT"}}},
		{"sweep: a cancel reaches the command", "sweep.yml", "sweep", "Sweep expired stacks and resources no stack knows", "int:1", true,
			want{code: 1, signals: []string{"INT"}, contains: "start sweep --region eu-west-1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newStepRunner(t, c.file, c.job)
			r.t = t
			r.env = append(r.env, "PROBE_LOG="+filepath.Join(r.temp, "probe.log"), "PROBE_MODE="+c.mode)
			var cancel <-chan struct{}
			if c.cancel {
				cancel = cancelled(time.Second)
			}
			start := time.Now()
			res := r.run(r.w.step(t, c.job, c.step), cancel)
			log := r.probeLog()
			t.Logf("exit %d after %v; probe: %q; output: %q", res.code, time.Since(start).Round(100*time.Millisecond), log, res.output)
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
				if l == "INT" || l == "TERM" {
					got = append(got, l)
				}
			}
			if res.code != c.want.code || !slices.Equal(got, c.want.signals) || res.outputs["code"] != c.want.outputCode ||
				!strings.Contains(log, c.want.contains) {
				t.Errorf("exit %d, signals %v, output code %q, log %q; want exit %d, signals %v, output code %q, a line %q",
					res.code, got, res.outputs["code"], log, c.want.code, c.want.signals, c.want.outputCode, c.want.contains)
			}
		})
	}

	// The step after a failed preview tells a violation from a failure.
	for code, want := range map[string]string{"2": "::error title=Policy violation::", "1": "::error title=Preview failed::orderpipe-env preview exited with 1"} {
		r := newStepRunner(t, "pull-request.yml", "preview")
		r.contexts["steps.preview.outputs.code"] = code
		res := r.run(r.w.step(t, "preview", "Tell a policy violation from a failure"), nil)
		if fmt.Sprint(res.code) != code || !strings.Contains(res.output, want) {
			t.Errorf("code %s: the step exited %d saying %q; want %s and %q", code, res.code, res.output, code, want)
		}
	}

	// Control: the command in the foreground of the step's bash, as the
	// workflows ran it before, gets no SIGINT from a cancel, and runs on
	// until the step's processes are killed.
	r := newStepRunner(t, "pull-request.yml", "preview")
	r.env = append(r.env, "PROBE_LOG="+filepath.Join(r.temp, "probe.log"), "PROBE_MODE=int:1")
	s := r.w.step(t, "preview", "Update the environment with the policy pack (makes the deferred checks)")
	s.Run = strings.Replace(s.Run, "exec ", "", 1)
	res := r.run(s, cancelled(time.Second))
	if strings.Contains(r.probeLog(), "INT") || res.code == 1 {
		t.Errorf("the control step delivered the cancel (exit %d, probe %q): the runner's cancel is not reproduced", res.code, r.probeLog())
	}
}
