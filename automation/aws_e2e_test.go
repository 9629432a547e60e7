package automation_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/spec"
)

// awsOptIn skips a test against real AWS unless the user opted in, and
// returns the region it runs in.
func awsOptIn(t *testing.T, what string) string {
	t.Helper()
	if os.Getenv("ORDERPIPE_E2E_AWS") != "1" {
		t.Skip("set ORDERPIPE_E2E_AWS=1 (with AWS credentials and a Pulumi install) to run " + what + " against real AWS")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		t.Fatal("ORDERPIPE_E2E_AWS=1 needs AWS_REGION")
	}
	return region
}

// The lifecycle against real AWS: it runs only when ORDERPIPE_E2E_AWS=1, with
// AWS credentials, a standard Pulumi install on PATH (CLI, Go language host
// not needed, the aws provider plugin) and AWS_REGION. It creates real
// resources, publishes one order and waits for it in DynamoDB, then destroys
// everything. It has never run on the machines this project is built on.
func TestLifecycleOnAWS(t *testing.T) {
	region := awsOptIn(t, "the lifecycle")
	ctx := context.Background()
	env, err := automation.New(ctx, automation.Options{Prefix: "e2e", StateDir: t.TempDir(), Region: region, TTL: 2 * time.Hour,
		Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Close(ctx); err != nil {
			t.Errorf("close %s: %v — remove it by hand", env.Name, err)
		}
	}()
	out, err := env.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	order := fmt.Sprintf(`{"orderId":%q,"customerId":"e2e","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`, id)
	if _, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(out[spec.OutputTopicArn].(string)), Message: aws.String(order)}); err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(out[spec.OutputTableName].(string)),
			Key: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Item != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s not in the table after 3 minutes", id)
		}
		time.Sleep(2 * time.Second)
	}
}

// The janitor's real path, under the same opt-in as TestLifecycleOnAWS: an
// environment is brought up, its stack removed from the backend with its
// resources left in the account, and Sweep finds them through the Resource
// Groups Tagging API and by name, and deletes them. It ends by asking AWS,
// not any state, whether the table and the role are gone.
func TestJanitorOnAWS(t *testing.T) {
	region := awsOptIn(t, "the janitor")
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	acct := account.NewAWS(cfg)
	state := t.TempDir()
	opts := automation.Options{Prefix: "e2ejan", StateDir: state, Region: region, TTL: 2 * time.Hour, Account: acct, Progress: testWriter{t}}
	env, err := automation.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(ctx); err != nil {
		t.Fatal(errors.Join(err, env.Close(ctx)))
	}
	forget(t, state, env.Name)
	report, err := automation.Sweep(ctx, opts, automation.SweepOptions{Act: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deleted %d resources no state knew: %+v", len(report.Orphans), report.Orphans)
	names := spec.Namer{Project: automation.Project, Stack: env.Name}
	deadline := time.Now().Add(3 * time.Minute)
	for _, r := range []struct{ typ, name string }{
		{"aws:dynamodb/table:Table", names.Name(spec.DynamoDB, spec.TableName)},
		{"aws:iam/role:Role", names.Global(spec.IAMRole, region, spec.RoleName)},
		{"aws:sqs/queue:Queue", names.Name(spec.SQS, spec.QueueName)},
	} {
		for {
			_, found, err := acct.Find(ctx, r.typ, r.name)
			if err != nil {
				t.Fatal(err)
			}
			if !found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s is still in the account: delete it by hand", r.typ, r.name)
			}
			time.Sleep(5 * time.Second)
		}
	}
}
