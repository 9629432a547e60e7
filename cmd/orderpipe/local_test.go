package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/internal/testenv"
	"github.com/orderpipe/orderpipe/local"
	"github.com/orderpipe/orderpipe/ops"
	"github.com/orderpipe/orderpipe/spec"
)

// `orderpipe local`, the README's first command, end to end.
func TestLocalCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"local"}, &out, &errOut)
	t.Logf("local took %v\n%s%s", time.Since(start), out.String(), errOut.String())
	if code != cmdutil.ExitOK {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{
		"Stored (3):", "Duplicates, acknowledged and not rewritten (1):", "In the dead-letter queue (4):",
		"Published 8 = refused 0 + stored 3 + duplicates 1 + dead-letter queue 4; lost 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// The operator commands against `orderpipe local --serve` in another
// process (goaws runs once a process).
func TestOperatorCommands(t *testing.T) {
	sqsEndpoint, dbEndpoint := serveLocal(t)
	target := []string{"--endpoint", sqsEndpoint}
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, target...), &out, &errOut)
		t.Logf("orderpipe %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		return code, out.String()
	}

	if code, out := cmd("smoke", "--dynamodb-endpoint", dbEndpoint, "--timeout", "30s"); code != cmdutil.ExitOK || !strings.Contains(out, "dead-letter queue grew: false") {
		t.Fatalf("smoke: %d %s", code, out)
	}
	if code, out := cmd("publish", `{"orderId":"bad","total":"x"}`); code != cmdutil.ExitOK || !strings.HasPrefix(out, "published ") {
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
	if code, out := cmd("dlq", "redrive", "--dry-run"); code != cmdutil.ExitOK || strings.TrimSpace(out) != "would move "+listed[0].MessageID {
		t.Errorf("dry run: %d %s", code, out)
	}
	if code, out := cmd("dlq", "redrive"); code != cmdutil.ExitOK || strings.TrimSpace(out) != "moved "+listed[0].MessageID {
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

// `orderpipe local --orders FILE` with what a careless or hostile producer
// sends: SNS refuses what it cannot carry (invalid UTF-8, a control
// character, over 256 KiB), as it would on AWS; the handler rejects what is
// no order; every valid order is stored; every line is accounted for.
func TestLocalOrdersFile(t *testing.T) {
	dir := t.TempDir()
	bin := buildOrderpipe(t)
	var lines []string
	for i := range 7 {
		lines = append(lines, fmt.Sprintf(`{"orderId":"f-%d","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":"1.5"}],"currency":"EUR","total":"1.50"}`, i))
	}
	lines = append(lines,
		"{\"orderId\":\"u-1\",\"customerId\":\"c\xff\xfe\"}",                                // invalid UTF-8: SNS refuses it
		"{\"orderId\":\"u-2\",\"customerId\":\"c\x01\"}",                                    // a control character SQS refuses
		`{"orderId":"big","customerId":"`+strings.Repeat("x", 300<<10)+`"}`,                 // over 256 KiB
		`{"orderId":"s-1","customerId":"c-\ud800","items":[],"currency":"EUR","total":"0"}`, // JSON-escaped: reaches the handler, rejected
		`{"orderId":"d-1","total":"1.00","total":"2.00"}`,                                   // a duplicate name: rejected
		lines[0][:len(lines[0])-1]+"}\u00a0",                                                // U+00A0 is no JSON whitespace: rejected, not trimmed
		`{"orderId":"huge","customerId":"`+strings.Repeat("x", 9<<20)+`"}`,                  // far over 256 KiB: refused, and the file read on
		strings.Replace(lines[0], "f-0", "f-7", 1),                                          // stored
	)
	file := filepath.Join(dir, "orders.jsonl")
	// A byte order mark before the first line is the file's, not the order's.
	if err := os.WriteFile(file, []byte("\ufeff"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadLetters := filepath.Join(dir, "dead-letters.jsonl")
	cmd := exec.Command(bin, "local", "--orders", file, "--timeout", "1m", "--dead-letters", deadLetters)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	if err != nil {
		t.Fatalf("orderpipe local: %v", err)
	}
	for _, want := range []string{
		"Refused by SNS, never in the pipeline (4):", "line 8: ", "InvalidMessageContents", "InvalidParameterValue",
		"line 14: 9437218 bytes", "Stored (8):", "… and 3 more (--verbose lists them all)",
		"In the dead-letter queue (3):", "customerId: must be valid UTF-8", "total: appears more than once", "exactly one JSON object and nothing after it",
		"Published 15 = refused 4 + stored 8 + duplicates 0 + dead-letter queue 3; lost 0",
		"Every dead letter, with why, one JSON object a line: " + deadLetters,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	kept, err := os.ReadFile(deadLetters)
	if n := strings.Count(string(kept), "\n"); err != nil || n != 3 || !strings.Contains(string(kept), `"why":"rejected by the handler: total: appears more than once`) {
		t.Errorf("--dead-letters kept %d lines, %v:\n%s", n, err, kept)
	}
}

// buildOrderpipe builds the command into a temporary directory.
func buildOrderpipe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orderpipe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/orderpipe")
	build.Dir = testenv.ModuleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// serveLocal runs `orderpipe local --serve` in another process (goaws runs
// once a process) until the test ends, and returns its endpoints.
func serveLocal(t *testing.T) (sqsEndpoint, dbEndpoint string) {
	t.Helper()
	serve := exec.Command(buildOrderpipe(t), "local", "--serve")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	endpoints := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "serving") {
		k, v, _ := strings.Cut(sc.Text(), ":")
		endpoints[k] = strings.TrimSpace(v)
	}
	sqsEndpoint, dbEndpoint = endpoints["SNS and SQS"], endpoints["DynamoDB"]
	if sqsEndpoint == "" || dbEndpoint == "" {
		t.Fatalf("endpoints %v", endpoints)
	}
	return sqsEndpoint, dbEndpoint
}

// What SNS could not deliver, put in the subscription's dead-letter queue
// as SNS puts it (goaws cannot fail a delivery, so the test does what SNS
// would): `dlq list` shows it, `dlq redrive` moves it to the order queue in
// the form the subscription delivers (raw, the local default), and the
// handler stores each order exactly as published. Both forms SNS may leave
// there are covered: the envelope of an SQS subscription and a raw message.
func TestRedriveUndeliveredNotifications(t *testing.T) {
	sqsEndpoint, dbEndpoint := serveLocal(t)
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, "--endpoint", sqsEndpoint), &out, &errOut)
		t.Logf("orderpipe %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		return code, out.String()
	}
	ctx := context.Background()
	names := spec.Namer{Project: "orderpipe", Stack: local.StackName}
	q := awslocal.SQSClient(sqsEndpoint)
	url := func(logical string) string {
		out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(names.Name(spec.SQS, logical))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	subDLQ := url(spec.SubscriptionDLQName)
	orders := map[string]string{
		"u-1": `{"orderId":"u-1","customerId":"c-5","items":[{"sku":"A-1","quantity":2,"unitPrice":"9.99"}],"currency":"EUR","total":"19.98"}`,
		"u-2": `{"orderId":"u-2","customerId":"c-6","items":[{"sku":"TEA","quantity":1,"unitPrice":"450"}],"currency":"JPY","total":"450"}`,
	}
	topicArn := "arn:aws:sns:us-east-1:000000000000:" + names.Name(spec.SNS, spec.TopicName)
	envelope, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "5b0fa2e1-7c52-5d3c-9b1e-0c5f2a9d1e11", "TopicArn": topicArn, "Message": orders["u-1"],
		"Timestamp": "2026-11-30T01:00:00.000Z", "SignatureVersion": "1", "Signature": "EXAMPLE",
		"SigningCertURL":    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
		"UnsubscribeURL":    "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
		"MessageAttributes": map[string]any{"source": map[string]string{"Type": "String", "Value": "web"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{string(envelope), orders["u-2"]} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(subDLQ), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	var listed []struct{ MessageID, Body, Queue string }
	if code, out := cmd("dlq", "list"); code != cmdutil.ExitOK || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 2 ||
		listed[0].Queue != spec.SubscriptionDLQName || listed[1].Queue != spec.SubscriptionDLQName {
		t.Fatalf("dlq list: %d %s", code, out)
	}
	code, out := cmd("dlq", "redrive")
	if code != cmdutil.ExitOK || strings.Count(out, "(not delivered by SNS)") != 2 {
		t.Fatalf("dlq redrive: %d %s", code, out)
	}

	db := awslocal.DynamoDBClient(dbEndpoint)
	table := names.Name(spec.DynamoDB, spec.TableName)
	for id, order := range orders {
		var item map[string]dbtypes.AttributeValue
		deadline := time.Now().Add(20 * time.Second)
		for item == nil && time.Now().Before(deadline) {
			got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
				Key: map[string]dbtypes.AttributeValue{"orderId": &dbtypes.AttributeValueMemberS{Value: id}}})
			if err != nil {
				t.Fatal(err)
			}
			if item = got.Item; item == nil {
				time.Sleep(200 * time.Millisecond)
			}
		}
		if item == nil {
			t.Errorf("order %s not stored after the redrive", id)
			continue
		}
		var sent, stored map[string]any
		json.Unmarshal([]byte(order), &sent)
		json.Unmarshal([]byte(item["payload"].(*dbtypes.AttributeValueMemberS).Value), &stored)
		if fmt.Sprint(sent) != fmt.Sprint(stored) {
			t.Errorf("order %s stored as %v, published as %v", id, stored, sent)
		}
	}
	if n, err := ops.Depth(ctx, q, subDLQ); err != nil || n != 0 {
		t.Errorf("the subscription's dead-letter queue holds %d messages (%v) after the redrive", n, err)
	}
	if n, err := ops.Depth(ctx, q, url(spec.DLQName)); err != nil || n != 0 {
		t.Errorf("OrderQueueDLQ holds %d messages (%v): the handler refused a redriven order", n, err)
	}
}

// A file that cannot be read to its end is no run in which every order was
// accounted for, whatever the report of the lines read says: the run fails.
func TestLocalOrdersUnreadable(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(buildOrderpipe(t), "local", "--dynamodb", "minidyn", "--orders", dir, "--timeout", "1m")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	if code := cmd.ProcessState.ExitCode(); err == nil || code != cmdutil.ExitError {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitError)
	}
	if !strings.Contains(errOut.String(), "is a directory") || !strings.Contains(out.String(), "lost 0") {
		t.Errorf("want the read error on stderr and the report of what was read")
	}
}

// A run killed with SIGKILL cannot remove its table's directory: the next
// run on a table on disk removes it, and never the directory of a run
// still going, however old: the file table's as dynalite's (both hold an
// fcntl lock on the directory's LOCK file).
func TestKilledRunsTableIsRemoved(t *testing.T) {
	cli, err := filepath.Abs(testenv.Tool(t, "ORDERPIPE_DYNALITE", "tools/node_modules/dynalite/cli.js", "tools/install"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("dynalite needs node: %v", err)
	}
	bin := buildOrderpipe(t)
	for _, tc := range []struct {
		name   string
		args   []string
		tables local.Tables
	}{
		{"file", []string{"--dynamodb", "file"}, local.InFiles},
		{"dynalite", []string{"--dynamodb", "dynalite", "--dynalite", cli}, local.OnDisk(node, cli)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			serve := func() (*exec.Cmd, string) {
				before, _ := filepath.Glob(filepath.Join(tmp, "orderpipe-local-table-*"))
				cmd := exec.Command(bin, append([]string{"local", "--serve"}, tc.args...)...)
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				sc := bufio.NewScanner(stdout)
				for sc.Scan() && !strings.HasPrefix(sc.Text(), "serving") {
				}
				after, _ := filepath.Glob(filepath.Join(tmp, "orderpipe-local-table-*"))
				for _, d := range after {
					if !slices.Contains(before, d) && len(after) == len(before)+1 {
						return cmd, d
					}
				}
				t.Fatalf("table directories %v, then %v", before, after)
				return nil, ""
			}
			killed, killedDir := serve()
			_, liveDir := serve()
			if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed.Wait()
			noLock := filepath.Join(tmp, "orderpipe-local-table-starting")
			other := filepath.Join(tmp, "other")
			for _, d := range []string{noLock, other} {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			// As if both had run long: age alone removes nothing.
			old := time.Now().Add(-time.Hour)
			for _, d := range []string{killedDir, liveDir, other} {
				os.Chtimes(filepath.Join(d, "LOCK"), old, old)
			}
			// node dies with the killed run, a moment later.
			time.Sleep(time.Second)

			_, stop, err := tc.tables(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			left, _ := filepath.Glob(filepath.Join(tmp, "*"))
			want := []string{liveDir, noLock, other}
			slices.Sort(want)
			if fmt.Sprint(left) != fmt.Sprint(want) {
				t.Errorf("left %v, want %v", left, want)
			}
		})
	}
}

// --serve leaves the dead-letter queue to the clients: --dead-letters with
// it would write nothing, so the pair is refused before anything starts.
func TestLocalServeRefusesDeadLetters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "dead-letters.jsonl")
	cmd := exec.CommandContext(ctx, buildOrderpipe(t), "local", "--serve", "--dead-letters", path)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	if code := cmd.ProcessState.ExitCode(); err == nil || code != cmdutil.ExitError || ctx.Err() != nil {
		t.Errorf("exit code %d (%v), want %d at once", code, err, cmdutil.ExitError)
	}
	if !strings.Contains(errOut.String(), "--dead-letters") {
		t.Errorf("the refusal does not name --dead-letters")
	}
}
