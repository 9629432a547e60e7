package function

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrConflict reports an order id that is already stored with a different
// payload. The stored order is never overwritten.
var ErrConflict = errors.New("order id already stored with a different payload")

// DynamoDBAPI is the part of the DynamoDB client the store uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Outcome is what storing one order came to.
type Outcome string

// The outcomes of a store.
const (
	Stored    Outcome = "stored"
	Duplicate Outcome = "duplicate"
)

// DynamoStore writes orders to the orders table, each at most once.
type DynamoStore struct {
	Client DynamoDBAPI
	Table  string
	Now    func() time.Time
}

// Put stores the order unless its id is already there. A stored order with
// the same payload is a redelivery and counts as done; with another payload
// it is ErrConflict.
func (s DynamoStore) Put(ctx context.Context, o Order, payload []byte, messageID string) (Outcome, error) {
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			"orderId":     &types.AttributeValueMemberS{Value: o.OrderID},
			"customerId":  &types.AttributeValueMemberS{Value: o.CustomerID},
			"payload":     &types.AttributeValueMemberS{Value: string(payload)},
			"payloadHash": &types.AttributeValueMemberS{Value: hash},
			"messageId":   &types.AttributeValueMemberS{Value: messageID},
			"receivedAt":  &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
			"status":      &types.AttributeValueMemberS{Value: "RECEIVED"},
		},
		ConditionExpression: aws.String("attribute_not_exists(orderId)"),
	})
	var exists *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Stored, nil
	case !errors.As(err, &exists):
		return "", fmt.Errorf("put order %s: %w", o.OrderID, err)
	}

	got, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: o.OrderID}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("read stored order %s: %w", o.OrderID, err)
	}
	if stored, ok := got.Item["payloadHash"].(*types.AttributeValueMemberS); ok && stored.Value == hash {
		return Duplicate, nil
	}
	return "", fmt.Errorf("order %s: %w", o.OrderID, ErrConflict)
}
