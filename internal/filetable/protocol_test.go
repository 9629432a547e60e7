package filetable

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orderpipe/orderpipe/internal/awslocal"
)

// rawCall sends a signed AWS JSON 1.0 request, as an SDK would but with a
// body no SDK can write, and returns the status, the body and the headers.
func signedCall(t *testing.T, endpoint, target, body string) (int, map[string]any, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256([]byte(body))
	creds, err := awslocal.Config().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "dynamodb", awslocal.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header, raw
}

// The wire protocol (API Reference, "Making HTTP requests with DynamoDB"
// and "Error handling"): errors are a 400 with __type and message, the
// body's CRC-32 is in X-Amz-Crc32; AttributeValues that no SDK can send
// are refused with DynamoDB's messages.
func TestProtocol(t *testing.T) {
	for _, srv := range standIns(t) {
		t.Run(srv.name, func(t *testing.T) {
			endpoint := *srv.db.Options().BaseEndpoint
			table := createTestTable(t, srv.db, "")
			for _, c := range []struct {
				name, target, body string
				status             int
				typ, message       string
			}{
				{"empty AttributeValue", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"a"},"x":{}}}`,
					400, "com.amazon.coral.validate#ValidationException", "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
				{"two members in an AttributeValue", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"a"},"x":{"S":"a","N":"1"}}}`,
					400, "com.amazon.coral.validate#ValidationException", "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
				{"a missing table", "DynamoDB_20120810.GetItem", `{"TableName":"no-such-table","Key":{"pk":{"S":"a"}}}`,
					400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found"},
				{"a failed condition", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_exists(pk)"}`,
					400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed"},
				{"an unknown operation", "DynamoDB_20120810.Frobnicate", `{}`,
					400, "com.amazon.coral.service#UnknownOperationException", ""},
				{"a body that is no JSON", "DynamoDB_20120810.GetItem", `{"TableName":`,
					400, "com.amazon.coral.service#SerializationException", ""},
				{"NULL false", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"a"},"x":{"NULL":false}}}`,
					400, "com.amazon.coral.validate#ValidationException", "One or more parameter values were invalid: Null attribute value types must have the value of true"},
				{"an unknown member beside a type", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"b","Z":"1"}}}`,
					200, "", ""},
				{"only an unknown member", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"b"},"x":{"Z":"1"}}}`,
					400, "com.amazon.coral.validate#ValidationException", "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
				{"a success", "DynamoDB_20120810.PutItem", `{"TableName":"` + table + `","Item":{"pk":{"S":"a"},"n":{"N":"0012.50"}}}`,
					200, "", ""},
			} {
				t.Run(c.name, func(t *testing.T) {
					status, out, h, raw := signedCall(t, endpoint, c.target, c.body)
					if status != c.status {
						t.Errorf("status %d, want %d (%s)", status, c.status, raw)
					}
					if got, _ := out["__type"].(string); got != c.typ {
						t.Errorf("__type %q, want %q", got, c.typ)
					}
					if msg, _ := out["message"].(string); c.message != "" && msg != c.message {
						t.Errorf("message %q, want %q", msg, c.message)
					}
					if got, want := h.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(raw)), 10); got != want {
						t.Errorf("X-Amz-Crc32 %q, want %q (the body's CRC-32)", got, want)
					}
					if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
						t.Errorf("Content-Type %q", ct)
					}
					if h.Get("X-Amzn-Requestid") == "" {
						t.Error("no x-amzn-RequestId")
					}
				})
			}
			// Numbers are returned as DynamoDB writes them.
			_, out, _, raw := signedCall(t, endpoint, "DynamoDB_20120810.GetItem", `{"TableName":"`+table+`","Key":{"pk":{"S":"a"}},"ConsistentRead":true}`)
			if !bytes.Contains(raw, []byte(`"n":{"N":"12.5"}`)) {
				t.Errorf("GetItem answered %s (%v); want n as 12.5", raw, out)
			}
		})
	}
}
