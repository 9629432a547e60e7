package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/internal/testenv"
)

// `orderpipe local`, the README's first command, end to end.
func TestLocalCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), []string{"local"}, &out, &errOut)
	t.Logf("local took %v\n%s%s", time.Since(start), out.String(), errOut.String())
	if code != ExitOK {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{
		"Stored (3):", "Duplicates, acknowledged and not rewritten (1):", "In the dead-letter queue (4):",
		"Published 8 = stored 3 + duplicates 1 + dead-letter queue 4; lost 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// The operator commands against `orderpipe local --serve` in another
// process (goaws runs once a process).
func TestOperatorCommands(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "orderpipe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/orderpipe")
	build.Dir = testenv.ModuleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	serve := exec.Command(bin, "local", "--serve")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	endpoints := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "serving") {
		k, v, _ := strings.Cut(sc.Text(), ":")
		endpoints[k] = strings.TrimSpace(v)
	}
	sqsEndpoint, dbEndpoint := endpoints["SNS and SQS"], endpoints["DynamoDB"]
	if sqsEndpoint == "" || dbEndpoint == "" {
		t.Fatalf("endpoints %v", endpoints)
	}
	target := []string{"--endpoint", sqsEndpoint}
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append(args, target...), &out, &errOut)
		t.Logf("orderpipe %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		return code, out.String()
	}

	if code, out := cmd("smoke", "--dynamodb-endpoint", dbEndpoint, "--timeout", "30s"); code != ExitOK || !strings.Contains(out, "dead-letter queue grew: false") {
		t.Fatalf("smoke: %d %s", code, out)
	}
	if code, out := cmd("publish", `{"orderId":"bad","total":"x"}`); code != ExitOK || !strings.HasPrefix(out, "published ") {
		t.Fatalf("publish: %d %s", code, out)
	}
	var listed []struct {
		MessageID, Body, Reason, OriginalMessageID string
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(listed) == 0 && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		_, out := cmd("dlq", "list")
		json.Unmarshal([]byte(out), &listed)
	}
	if len(listed) != 1 || !strings.HasPrefix(listed[0].Reason, "customerId: is required; currency: is required") || listed[0].OriginalMessageID == "" {
		t.Fatalf("dlq list: %+v", listed)
	}
	// Listing consumed nothing.
	if _, out := cmd("dlq", "list"); !strings.Contains(out, listed[0].MessageID) {
		t.Errorf("a second list lost the message:\n%s", out)
	}
	if code, out := cmd("dlq", "redrive", "--dry-run"); code != ExitOK || strings.TrimSpace(out) != "would move "+listed[0].MessageID {
		t.Errorf("dry run: %d %s", code, out)
	}
	if code, out := cmd("dlq", "redrive"); code != ExitOK || strings.TrimSpace(out) != "moved "+listed[0].MessageID {
		t.Errorf("redrive: %d %s", code, out)
	}
	// Back through the handler, which rejects it again: a new DLQ message.
	var again []struct{ MessageID, Reason string }
	deadline = time.Now().Add(20 * time.Second)
	for (len(again) == 0 || again[0].MessageID == listed[0].MessageID) && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		_, out := cmd("dlq", "list")
		json.Unmarshal([]byte(out), &again)
	}
	if len(again) != 1 || again[0].MessageID == listed[0].MessageID || again[0].Reason != listed[0].Reason {
		t.Errorf("after redrive: %+v", again)
	}
}
