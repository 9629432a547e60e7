package filetable

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/awslocal/awslocaltest"
	"github.com/orderpipe/orderpipe/internal/proctest"
)

// server is a DynamoDB stand-in the differential tests run against, with
// an unmodified SDK client that checks each response's CRC-32 and does not
// retry.
type standIn struct {
	name string
	db   *dynamodb.Client
}

func sdkClient(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awslocal.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1
	})
}

// startFileTable serves a file table in a directory of the test's.
func startFileTable(t testing.TB) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, dir
}

// servers are the file table and dynalite (under node; in CI a missing
// dynalite fails the test).
func standIns(t *testing.T) []standIn {
	t.Helper()
	proctest.Check(t, 5*time.Second, "")
	ft, _ := startFileTable(t)
	return []standIn{{"filetable", sdkClient(ft.Endpoint)}, {"dynalite", sdkClient(awslocaltest.Dynalite(t))}}
}

var tableSeq atomic.Int64

// newTable creates a table with a string hash key "pk" and, when rangeType
// is not empty, a range key "sk" of that type.
func createTestTable(t testing.TB, db *dynamodb.Client, rangeType types.ScalarAttributeType) string {
	t.Helper()
	name := fmt.Sprintf("t-%d", tableSeq.Add(1))
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
	if rangeType != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: rangeType})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange})
	}
	ctx := context.Background()
	out, err := db.CreateTable(ctx, in)
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	if out.TableDescription.TableStatus == "" {
		return name // minidyn has no status, and its waiter would wait for ever
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second,
		func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond }); err != nil {
		t.Fatalf("wait for table: %v", err)
	}
	return name
}

// code is the error's DynamoDB error code, "" for none.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

// show writes attribute values so that equal values read the same: sets
// sorted, as DynamoDB keeps no order in a set.
func fmtValue(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S:%q", v.Value)
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B:%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL:%t", v.Value)
	case *types.AttributeValueMemberNULL:
		return fmt.Sprintf("NULL:%t", v.Value)
	case *types.AttributeValueMemberSS:
		return "SS:" + fmtSorted(v.Value, func(s string) string { return fmt.Sprintf("%q", s) })
	case *types.AttributeValueMemberNS:
		return "NS:" + fmtSorted(v.Value, func(s string) string { return s })
	case *types.AttributeValueMemberBS:
		return "BS:" + fmtSorted(v.Value, func(b []byte) string { return fmt.Sprintf("%x", b) })
	case *types.AttributeValueMemberL:
		var parts []string
		for _, e := range v.Value {
			parts = append(parts, fmtValue(e))
		}
		return "L:[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		return "M:" + fmtItem(v.Value)
	}
	return fmt.Sprintf("?%T", v)
}

func fmtSorted[T any](vs []T, f func(T) string) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, f(v))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, ",") + "]"
}

func fmtItem(it map[string]types.AttributeValue) string {
	if it == nil {
		return "<none>"
	}
	var parts []string
	for k, v := range it {
		parts = append(parts, fmt.Sprintf("%q=%s", k, fmtValue(v)))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, " ") + "}"
}
