package function

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ConflictError reports an order id that is already stored with another
// payload. The stored order is never overwritten.
type ConflictError struct {
	OrderID         string
	StoredMessageID string
	StoredHash      string
	NewHash         string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("order %s is already stored with another payload (stored from message %s, hash %.12s; this one hashes to %.12s)",
		e.OrderID, e.StoredMessageID, e.StoredHash, e.NewHash)
}

// DynamoDBAPI is the part of the DynamoDB client the store uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// StatusReceived is the status of an order the handler stored.
const StatusReceived = "RECEIVED"

// DynamoStore writes orders to the orders table, each at most once.
type DynamoStore struct {
	Client DynamoDBAPI
	Table  string
}

// Put stores the order, exactly as it was sent, unless its id is there
// already. The same order stored before (the same identity: see
// Order.identity) is a redelivery or a re-send: Duplicate, and nothing is
// rewritten; unless the item is this very call's (its message and receipt
// time), written by an attempt whose answer was lost and found by the
// SDK's retry of it: Stored. Another order under the same id is a
// *ConflictError.
func (s DynamoStore) Put(ctx context.Context, o Order, messageID string, received time.Time) (Outcome, error) {
	hash := o.IdentityHash()
	receivedAt := received.UTC().Format(time.RFC3339Nano)

	items := make([]types.AttributeValue, len(o.Items))
	for i, it := range o.Items {
		items[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"sku":       &types.AttributeValueMemberS{Value: it.SKU},
			"quantity":  &types.AttributeValueMemberN{Value: strconv.FormatInt(it.Quantity, 10)},
			"unitPrice": &types.AttributeValueMemberS{Value: it.UnitPrice},
		}}
	}
	item := map[string]types.AttributeValue{
		"orderId":     &types.AttributeValueMemberS{Value: o.OrderID},
		"customerId":  &types.AttributeValueMemberS{Value: o.CustomerID},
		"items":       &types.AttributeValueMemberL{Value: items},
		"currency":    &types.AttributeValueMemberS{Value: o.Currency},
		"total":       &types.AttributeValueMemberS{Value: o.Total},
		"payload":     &types.AttributeValueMemberS{Value: o.Payload()},
		"payloadHash": &types.AttributeValueMemberS{Value: hash},
		"messageId":   &types.AttributeValueMemberS{Value: messageID},
		"receivedAt":  &types.AttributeValueMemberS{Value: receivedAt},
		"status":      &types.AttributeValueMemberS{Value: StatusReceived},
	}
	if o.CreatedAt != "" {
		item["createdAt"] = &types.AttributeValueMemberS{Value: o.CreatedAt}
	}
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(orderId)"),
	})
	var exists *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Stored, nil
	case !errors.As(err, &exists):
		return Failed, fmt.Errorf("put order %s: %w", o.OrderID, err)
	}

	got, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(s.Table),
		Key:                  map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: o.OrderID}},
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("payloadHash, messageId, receivedAt"),
	})
	if err != nil {
		return Failed, fmt.Errorf("read stored order %s: %w", o.OrderID, err)
	}
	stored := stringAttr(got.Item, "payloadHash")
	switch {
	case stored == hash && stringAttr(got.Item, "messageId") == messageID && stringAttr(got.Item, "receivedAt") == receivedAt:
		return Stored, nil
	case stored == hash:
		return Duplicate, nil
	}
	return Conflict, &ConflictError{OrderID: o.OrderID, StoredMessageID: stringAttr(got.Item, "messageId"), StoredHash: stored, NewHash: hash}
}

// IdentityHash is the SHA-256, in hex, of the order's identity: the same for
// every way of writing the same order.
func (o Order) IdentityHash() string {
	sum := sha256.Sum256(o.identity())
	return hex.EncodeToString(sum[:])
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
