package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/testenv"
	"github.com/orderpipe/orderpipe/stack"
)

const rieInstall = "tools/install"

// bootstrap builds the function archive the stack deploys, for this
// machine's architecture, and unpacks its bootstrap.
func bootstrap(t testing.TB) string {
	t.Helper()
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" {
		t.Fatalf("Lambda has no architecture for GOARCH %s", runtime.GOARCH)
	}
	dir := t.TempDir()
	archive, err := stack.GoBuild{ModuleDir: testenv.ModuleRoot(t), OutDir: dir}.Build(context.Background(), arch)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	src, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(dir, "bootstrap")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, zr.File[0].Mode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// emulator is the Lambda runtime interface emulator running the bootstrap.
type emulator struct {
	url    string
	output *syncBuffer
}

func startEmulator(t testing.TB, rie, bootstrap string, env ...string) emulator {
	t.Helper()
	api, rapi := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", api, "--runtime-api-address", rapi, bootstrap)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", api)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s: %s", api, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return emulator{url: "http://" + api + "/2015-03-31/functions/function/invocations", output: out}
}

func (e emulator) invoke(t testing.TB, ev events.SQSEvent) events.SQSEventResponse {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out events.SQSEventResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("invoke: %s %s\n%s", resp.Status, raw, e.output)
	}
	return out
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

const order = `{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":2,"unitPrice":"9.99"}],"currency":"EUR","total":"19.98"}`

func functionEnv(dynamoEndpoint string) []string {
	return []string{
		"ORDERS_TABLE=orders", "DLQ_URL=http://127.0.0.1:9/000000000000/dlq", "LOG_LEVEL=info",
		"AWS_REGION=" + awslocal.Region, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_DYNAMODB=" + dynamoEndpoint,
	}
}

// The real bootstrap, through the real Lambda Runtime API: a batch with a
// new order and a conflicting one gets a partial-batch response naming only
// the conflict.
func TestBootstrapUnderRuntimeEmulator(t *testing.T) {
	rie := testenv.Tool(t, "ORDERPIPE_RIE", "bin/aws-lambda-rie", rieInstall)
	db, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := awslocal.DynamoDBClient(db.Endpoint)
	if _, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("orderId"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("orderId"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}

	em := startEmulator(t, rie, bootstrap(t), functionEnv(db.Endpoint)...)
	if resp := em.invoke(t, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: order}}}); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("first batch: %+v\n%s", resp, em.output)
	}
	// Records of one batch are stored concurrently, so the conflicting one
	// comes in a second, warm invocation.
	resp := em.invoke(t, events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m2", Body: strings.Replace(order, "c-1", "c-2", 1)},
		{MessageId: "m3", Body: strings.Replace(order, "o-1", "o-2", 1)},
	}})
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Errorf("response %+v, want only m2 reported\n%s", resp, em.output)
	}
	got, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("orders"),
		Key: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: "o-1"}}})
	if err != nil || got.Item["customerId"].(*types.AttributeValueMemberS).Value != "c-1" {
		t.Errorf("stored order %v, %v", got.Item, err)
	}
	if out := em.output.String(); !strings.Contains(out, `"OrdersStored":1`) || !strings.Contains(out, `"OrdersConflict":1`) {
		t.Errorf("no metrics line for the batch in the function's output:\n%s", out)
	}
}

// A function that cannot work fails its init and names the variable.
func TestBootstrapFailsFastOnBadConfig(t *testing.T) {
	rie := testenv.Tool(t, "ORDERPIPE_RIE", "bin/aws-lambda-rie", rieInstall)
	em := startEmulator(t, rie, bootstrap(t), "ORDERS_TABLE=", "DLQ_URL=", "HANDLER_CONCURRENCY=0")
	resp, err := http.Post(em.url, "application/json", strings.NewReader(`{"Records":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(em.output.String(), "HANDLER_CONCURRENCY") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out := em.output.String()
	for _, want := range []string{"invalid function configuration", `ORDERS_TABLE=""`, `DLQ_URL=""`, `HANDLER_CONCURRENCY="0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %s:\n%s", want, out)
		}
	}
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// BenchmarkInit reports the function's init duration as the runtime
// emulator measures it (init-ms): process start, Go runtime, configuration
// and AWS clients, up to the first request for work.
func BenchmarkInit(b *testing.B) {
	rie := testenv.Tool(b, "ORDERPIPE_RIE", "bin/aws-lambda-rie", rieInstall)
	db, err := awslocal.StartDynamoDB()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bin := bootstrap(b)
	var total float64
	for i := 0; b.Loop(); i++ {
		em := startEmulator(b, rie, bin, functionEnv(db.Endpoint)...)
		em.invoke(b, events.SQSEvent{})
		var m []string
		for range 100 {
			if m = initReport.FindStringSubmatch(em.output.String()); m != nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if m == nil {
			b.Fatalf("no INIT REPORT in:\n%s", em.output)
		}
		ms, _ := strconv.ParseFloat(m[1], 64)
		total += ms
	}
	b.ReportMetric(total/float64(b.N), "init-ms")
	b.ReportMetric(0, "ns/op")
}
