package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The built pack speaks the analyzer protocol the engine uses: it prints
// its port, lists its policies with their levels, and reports a violation
// from a stack analysis.
func TestPackExecutable(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "orderpipe-policy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the pack: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the port: %v", err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a := pulumirpc.NewAnalyzerClient(conn)

	if _, err := a.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "dev", Project: "orderpipe", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	info, err := a.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	var policies []string
	for _, p := range info.GetPolicies() {
		policies = append(policies, p.GetName()+"="+strings.ToLower(p.GetEnforcementLevel().String()))
	}
	sort.Strings(policies)
	want := "dlq-alarm=advisory dynamodb-pitr=mandatory encryption-at-rest=mandatory iam-least-privilege=mandatory kms-key-rotation=mandatory lambda-log-retention=advisory " +
		"lambda-sqs-partial-batch=mandatory lambda-stream-on-failure=advisory lambda-tracing=advisory pack-settings=advisory preview-unknowns=advisory " +
		"sns-aws-managed-key-service-publisher=mandatory sns-sqs-aws-managed-key=mandatory sns-subscription-redrive=advisory sqs-dlq-retention=mandatory sqs-max-receive-count=advisory " +
		"sqs-queue-has-dlq=mandatory sqs-redrive-everywhere=advisory sqs-sns-no-public-policy=mandatory sqs-sns-queue-policy-scoped=mandatory sqs-sns-secure-transport=advisory " +
		"sqs-visibility-timeout-ratio=mandatory stack-scoped-names=mandatory"
	if got := strings.Join(policies, " "); info.GetName() != "orderpipe" || got != want {
		t.Errorf("pack %s has %s\nwant %s", info.GetName(), got, want)
	}

	props := func(m map[string]any) *structpb.Struct {
		s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	queueURN := "urn:pulumi:dev::orderpipe::aws:sqs/queue:Queue::OrderQueue"
	resp, err := a.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Type: "aws:sqs/queue:Queue", Name: "OrderQueue", Urn: queueURN,
			Properties: props(map[string]any{"name": "orderpipe-dev-OrderQueue", "visibilityTimeoutSeconds": 180, "sqsManagedSseEnabled": true})},
		{Type: "aws:lambda/eventSourceMapping:EventSourceMapping", Name: "OrderQueueMapping", Urn: "urn:pulumi:dev::orderpipe::aws:lambda/eventSourceMapping:EventSourceMapping::OrderQueueMapping",
			Properties: props(map[string]any{"eventSourceArn": resource.Computed{Element: resource.NewStringProperty("")},
				"functionResponseTypes": []any{"ReportBatchItemFailures"}}),
			PropertyDependencies: map[string]*pulumirpc.AnalyzerPropertyDependencies{"eventSourceArn": {Urns: []string{queueURN}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range resp.GetDiagnostics() {
		got = append(got, d.GetPolicyName()+" "+strings.ToLower(d.GetEnforcementLevel().String())+" "+d.GetUrn())
	}
	if strings.Join(got, "\n") != "sqs-queue-has-dlq mandatory "+queueURN {
		t.Errorf("diagnostics:\n%s", strings.Join(got, "\n"))
	}
}
