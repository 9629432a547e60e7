package filetable

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// What the file table does not do, it refuses, saying so and naming it:
// never accepted and half done.
func TestRefusesWhatItDoesNotSupport(t *testing.T) {
	ft, _ := startFileTable(t)
	db := sdkClient(ft.Endpoint)
	ctx := context.Background()
	table := createTestTable(t, db, "")
	tbl := aws.String(table)
	k := pkKey("a")
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: avMap{"pk": avS("a"), "m": &types.AttributeValueMemberM{Value: avMap{"x": avS("y")}}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		call  func() error
		code  string
		names string // what the message must name
	}{
		{"UpdateItem", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: k, UpdateExpression: aws.String("SET v = :v"),
				ExpressionAttributeValues: avMap{":v": avS("x")}})
			return err
		}, "UnknownOperationException", "UpdateItem"},
		{"DeleteItem", func() error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tbl, Key: k})
			return err
		}, "UnknownOperationException", "DeleteItem"},
		{"Query", func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: tbl, KeyConditionExpression: aws.String("pk = :v"), ExpressionAttributeValues: avMap{":v": avS("a")}})
			return err
		}, "UnknownOperationException", "Query"},
		{"BatchWriteItem", func() error {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {{PutRequest: &types.PutRequest{Item: k}}}}})
			return err
		}, "UnknownOperationException", "BatchWriteItem"},
		{"TransactWriteItems", func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: tbl, Item: k}}}})
			return err
		}, "UnknownOperationException", "TransactWriteItems"},
		{"a comparison", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: avMap{":v": avS("x")}})
			return err
		}, "ValidationException", "v = :v"},
		{"two conditions", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, ConditionExpression: aws.String("attribute_not_exists(pk) AND attribute_exists(v)")})
			return err
		}, "ValidationException", "attribute_not_exists(pk) AND attribute_exists(v)"},
		{"another function", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, ConditionExpression: aws.String("attribute_type(v, :t)"), ExpressionAttributeValues: avMap{":t": avS("S")}})
			return err
		}, "ValidationException", "attribute_type(v, :t)"},
		{"a nested condition path", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, ConditionExpression: aws.String("attribute_not_exists(m.x)")})
			return err
		}, "ValidationException", "m.x"},
		{"legacy Expected", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, Expected: map[string]types.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}}})
			return err
		}, "ValidationException", "Expected"},
		{"ReturnConsumedCapacity TOTAL", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: k, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			return err
		}, "ValidationException", "ReturnConsumedCapacity"},
		{"a nested projection", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k, ProjectionExpression: aws.String("m.x")})
			return err
		}, "ValidationException", "m.x"},
		{"a nested projection behind a placeholder", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k, ProjectionExpression: aws.String("#m.x"),
				ExpressionAttributeNames: map[string]string{"#m": "m"}})
			return err
		}, "ValidationException", "#m.x"},
		{"a list element projection", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k, ProjectionExpression: aws.String("l[0]")})
			return err
		}, "ValidationException", "l[0]"},
		{"legacy AttributesToGet", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: k, AttributesToGet: []string{"pk"}})
			return err
		}, "ValidationException", "AttributesToGet"},
		{"a FilterExpression", func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tbl, FilterExpression: aws.String("attribute_exists(pk)")})
			return err
		}, "ValidationException", "FilterExpression"},
		{"an index", func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tbl, IndexName: aws.String("byX")})
			return err
		}, "ValidationException", "IndexName"},
		{"a parallel scan", func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tbl, Segment: aws.Int32(0), TotalSegments: aws.Int32(2)})
			return err
		}, "ValidationException", "Segment"},
		{"a global secondary index", func() error {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("with-index"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest,
				GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("i"),
					KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
					Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}})
			return err
		}, "ValidationException", "GlobalSecondaryIndexes"},
		{"tags", func() error {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("with-tags"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "ValidationException", "Tags"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want %s", err, c.code)
			}
			if ae.ErrorCode() != c.code || !strings.Contains(ae.ErrorMessage(), "orderpipe's file table does not support") || !strings.Contains(ae.ErrorMessage(), c.names) {
				t.Errorf("got %s %q; want %s saying orderpipe's file table does not support %s", ae.ErrorCode(), ae.ErrorMessage(), c.code, c.names)
			}
		})
	}
	// Nothing refused was done.
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tbl})
	if err != nil || out.Count != 1 {
		t.Errorf("after the refusals: %v, %d items; want the one item put", err, out.Count)
	}
	list, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(list.TableNames) != 1 {
		t.Errorf("after the refusals: tables %v, %v; want only %s", list.TableNames, err, table)
	}
}
