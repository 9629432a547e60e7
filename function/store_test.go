package function

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// lostAnswerDB is a table of one item whose PutItem writes and then, as
// when its answer is lost and the SDK's retry finds the item, fails the
// condition.
type lostAnswerDB struct {
	item map[string]types.AttributeValue
}

func (d *lostAnswerDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if d.item == nil {
		d.item = in.Item
	}
	return nil, &types.ConditionalCheckFailedException{}
}

func (d *lostAnswerDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: d.item}, nil
}

// A write whose answer was lost is the call's own: Stored, once; the same
// message delivered again, or another message with the same order, is a
// duplicate.
func TestPutFindsItsOwnWrite(t *testing.T) {
	o, err := ParseOrder(`{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`)
	if err != nil {
		t.Fatal(err)
	}
	db := &lostAnswerDB{}
	s := DynamoStore{Client: db, Table: "t"}
	first := time.Date(2026, 11, 30, 8, 0, 0, 123456789, time.UTC)
	for _, tt := range []struct {
		name      string
		messageID string
		received  time.Time
		want      Outcome
	}{
		{"the attempt that wrote it", "m-1", first, Stored},
		{"the same message delivered again", "m-1", first.Add(time.Second), Duplicate},
		{"another message with the same order", "m-2", first, Duplicate},
	} {
		got, err := s.Put(context.Background(), o, tt.messageID, tt.received)
		if err != nil || got != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}
