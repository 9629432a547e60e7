package function

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// Order is the message a producer publishes to the order topic.
type Order struct {
	OrderID    string          `json:"orderId"`
	CustomerID string          `json:"customerId"`
	Items      json.RawMessage `json:"items"`
}

// snsEnvelope is the SNS notification that wraps a message when the
// subscription does not use raw message delivery.
type snsEnvelope struct {
	Type     string  `json:"Type"`
	TopicArn string  `json:"TopicArn"`
	Message  *string `json:"Message"`
}

// ValidationError lists every rule a message breaks, each with its field.
type ValidationError []FieldError

// FieldError is one broken rule.
type FieldError struct {
	Field string
	Rule  string
}

func (e ValidationError) Error() string {
	var b bytes.Buffer
	for i, fe := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", fe.Field, fe.Rule)
	}
	return b.String()
}

var orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseOrder reads an SQS message body: an order, raw or inside an SNS
// notification. The payload it returns is the order's own JSON, the same for
// both forms, so that a duplicate is recognised however it was delivered.
func ParseOrder(body string) (Order, []byte, error) {
	payload := []byte(body)
	var env snsEnvelope
	if err := json.Unmarshal(payload, &env); err == nil && env.Type == "Notification" {
		if env.Message == nil {
			return Order{}, nil, ValidationError{{"Message", "an SNS notification must carry the order in Message"}}
		}
		payload = []byte(*env.Message)
	}

	var o Order
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&o); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Order{}, nil, ValidationError{{typeErr.Field, "must be a JSON " + typeErr.Type.Kind().String()}}
		}
		return Order{}, nil, ValidationError{{"body", "must be a JSON object: " + err.Error()}}
	}
	if dec.More() {
		return Order{}, nil, ValidationError{{"body", "must hold exactly one JSON object"}}
	}

	var errs ValidationError
	if !orderIDPattern.MatchString(o.OrderID) {
		errs = append(errs, FieldError{"orderId", "must be 1-64 characters of A-Z, a-z, 0-9, _ and -"})
	}
	if o.CustomerID == "" {
		errs = append(errs, FieldError{"customerId", "is required"})
	}
	var items []json.RawMessage
	if err := json.Unmarshal(o.Items, &items); err != nil || len(items) == 0 {
		errs = append(errs, FieldError{"items", "must be a list of at least one item"})
	}
	if len(errs) > 0 {
		return Order{}, nil, errs
	}
	return o, payload, nil
}
