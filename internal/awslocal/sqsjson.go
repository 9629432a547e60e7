package awslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/traits"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// jsonTargetPrefix starts the X-Amz-Target header of every request in SQS's
// JSON protocol: AmazonSQS.<Action>.
const jsonTargetPrefix = "AmazonSQS."

// sqsJSON serves SQS's JSON protocol (awsJson1_0, which current AWS SDKs and
// the AWS CLI v2 speak) in front of query, a handler that speaks only SQS's
// query protocol (goaws behind refuseInvalid); requests without the JSON
// protocol's X-Amz-Target header go to query unchanged. Both translations
// are the SDK's own: a JSON request is decoded into the SDK's typed input and
// sent by an SDK client on the query protocol to query, in process; its
// typed output or error is written back with the SDK's JSON serializer. So
// everything the SDK models crosses, and the refusals stay query's.
type sqsJSON struct {
	query   http.Handler
	client  *sqs.Client
	actions map[string]jsonAction
	errors  sqsErrors
}

// jsonAction runs one SQS action given its JSON request body.
type jsonAction struct {
	op, output *smithy.Schema // output nil: the action answers {}
	call       func(ctx context.Context, c *sqs.Client, body []byte) (smithy.Serializable, error)
}

func newSQSJSON(query http.Handler) *sqsJSON {
	j := &sqsJSON{query: query, errors: newSQSErrors()}
	j.client = sqs.New(sqs.Options{
		Region:      Region,
		Credentials: Config().Credentials,
		// Any host: requests never leave the process.
		BaseEndpoint: aws.String("http://goaws.local"),
		HTTPClient:   smithyhttp.ClientDoFunc(j.serveQuery),
		Retryer:      aws.NopRetryer{},
		// The JSON client checks the digests against what it sent.
		DisableMessageChecksumValidation: true,
	}, func(o *sqs.Options) {
		// In Options it would be overwritten with the default, JSON.
		o.Protocol = awsquery.New(schemas.AmazonSQS)
	})
	// What goaws does; anything else is UnsupportedOperation.
	j.actions = map[string]jsonAction{
		"CreateQueue":             action(schemas.CreateQueue, schemas.CreateQueueResult, (*sqs.Client).CreateQueue),
		"DeleteQueue":             action(schemas.DeleteQueue, nil, (*sqs.Client).DeleteQueue),
		"ListQueues":              action(schemas.ListQueues, schemas.ListQueuesResult, (*sqs.Client).ListQueues),
		"GetQueueUrl":             action(schemas.GetQueueUrl, schemas.GetQueueUrlResult, (*sqs.Client).GetQueueUrl),
		"GetQueueAttributes":      action(schemas.GetQueueAttributes, schemas.GetQueueAttributesResult, (*sqs.Client).GetQueueAttributes),
		"SetQueueAttributes":      action(schemas.SetQueueAttributes, nil, (*sqs.Client).SetQueueAttributes),
		"PurgeQueue":              action(schemas.PurgeQueue, nil, (*sqs.Client).PurgeQueue),
		"SendMessage":             action(schemas.SendMessage, schemas.SendMessageResult, (*sqs.Client).SendMessage),
		"SendMessageBatch":        action(schemas.SendMessageBatch, schemas.SendMessageBatchResult, (*sqs.Client).SendMessageBatch),
		"ReceiveMessage":          action(schemas.ReceiveMessage, schemas.ReceiveMessageResult, (*sqs.Client).ReceiveMessage),
		"ChangeMessageVisibility": action(schemas.ChangeMessageVisibility, nil, (*sqs.Client).ChangeMessageVisibility),
		"DeleteMessage":           action(schemas.DeleteMessage, nil, (*sqs.Client).DeleteMessage),
		"DeleteMessageBatch":      action(schemas.DeleteMessageBatch, schemas.DeleteMessageBatchResult, (*sqs.Client).DeleteMessageBatch),
	}
	return j
}

// action makes a jsonAction of an SQS client method. JSON member names are
// the input's field names (SQS has no jsonName traits; encoding/json matches
// CreateQueue's lower-case "tags" too), and blobs are base64 in both.
func action[In any, Out smithy.Serializable](op, output *smithy.Schema, method func(*sqs.Client, context.Context, *In, ...func(*sqs.Options)) (Out, error)) jsonAction {
	return jsonAction{op: op, output: output, call: func(ctx context.Context, c *sqs.Client, body []byte) (smithy.Serializable, error) {
		in := new(In)
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &apiError{code: "SerializationException", jsonType: "com.amazon.coral.service#SerializationException",
					status: http.StatusBadRequest, msg: "the request body is not the action's JSON input: " + err.Error()}
			}
		}
		out, err := method(c, ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}}
}

func (j *sqsJSON) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, jsonTargetPrefix) {
		j.query.ServeHTTP(w, r)
		return
	}
	name := strings.TrimPrefix(target, jsonTargetPrefix)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		j.writeError(w, &apiError{code: "InternalFailure", status: http.StatusInternalServerError, msg: "read the request: " + err.Error()})
		return
	}
	a, ok := j.actions[name]
	if !ok {
		j.writeError(w, &apiError{code: "AWS.SimpleQueueService.UnsupportedOperation", status: http.StatusBadRequest,
			msg: fmt.Sprintf("%s is not supported by this local SQS endpoint (goaws)", name)})
		return
	}
	// encoding/json would make U+FFFD of what SQS refuses: a JSON text that
	// is not UTF-8, or an escaped lone surrogate.
	if msg := invalidJSONText(body); msg != "" {
		j.writeError(w, &apiError{code: "InvalidMessageContents", status: http.StatusBadRequest, msg: msg})
		return
	}
	out, err := a.call(r.Context(), j.client, body)
	if err != nil {
		j.writeError(w, err)
		return
	}
	payload, err := jsonPayload(r.Context(), a, out)
	if err != nil {
		j.writeError(w, &apiError{code: "InternalFailure", status: http.StatusInternalServerError, msg: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Write(payload)
}

// serveQuery is the query client's transport: query, in process.
func (j *sqsJSON) serveQuery(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	j.query.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// jsonPayload is out in the JSON protocol, by the SDK's serializer. The
// protocol writes a shape alike in a request and an answer, so its request
// serializer writes the answer.
func jsonPayload(ctx context.Context, a jsonAction, out smithy.Serializable) ([]byte, error) {
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	if err := awsjson.New10(schemas.AmazonSQS).SerializeRequest(ctx, smithy.NewOperationSchema(a.op, a.output, nil), out, req); err != nil {
		return nil, fmt.Errorf("serialize the answer: %w", err)
	}
	stream := req.GetStream()
	if stream == nil {
		return []byte("{}"), nil
	}
	return io.ReadAll(stream)
}

// requestID is the request id every answer carries; goaws has no other.
const requestID = "00000000-0000-0000-0000-000000000000"

// apiError is an SQS error as the JSON protocol carries it.
type apiError struct {
	code     string // the query protocol's code, carried in x-amzn-query-error
	jsonType string // __type; "" for the model's or com.amazonaws.sqs#code
	status   int
	msg      string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// sqsErrors finds the JSON protocol's shape of an SQS error from the SDK's
// model: its __type, query code and HTTP status.
type sqsErrors map[string]sqsError // by shape name and by query code

type sqsError struct {
	jsonType, queryCode string
	status              int
}

func newSQSErrors() sqsErrors {
	m := sqsErrors{}
	for id, entry := range sqs.TypeRegistry.Entries {
		_, name, ok := strings.Cut(id, "#")
		if !ok {
			continue
		}
		e := sqsError{jsonType: id, queryCode: name, status: http.StatusBadRequest}
		if t, ok := smithy.SchemaTrait[*traits.AWSQueryError](entry.Schema); ok {
			e.queryCode, e.status = t.ErrorCode, t.StatusCode
		}
		m[name], m[e.queryCode] = e, e
	}
	return m
}

// shape is the JSON protocol's form of err, an error of the query client.
func (m sqsErrors) shape(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return m.complete(*e)
	}
	var invalid smithy.InvalidParamsError
	if errors.As(err, &invalid) {
		return m.complete(apiError{code: "MissingParameter", status: http.StatusBadRequest, msg: invalid.Error()})
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return m.complete(apiError{code: "InternalFailure", status: http.StatusInternalServerError, msg: err.Error()})
	}
	out := apiError{code: api.ErrorCode(), msg: api.ErrorMessage(), status: http.StatusBadRequest}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		out.status = resp.HTTPStatusCode()
	}
	return m.complete(out)
}

// complete fills in what the model says of e's code.
func (m sqsErrors) complete(e apiError) *apiError {
	if known, ok := m[e.code]; ok {
		e.code, e.jsonType = known.queryCode, known.jsonType
		if e.status == 0 {
			e.status = known.status
		}
	}
	if e.jsonType == "" {
		e.jsonType = "com.amazonaws.sqs#" + e.code
	}
	if e.status == 0 {
		e.status = http.StatusBadRequest
	}
	return &e
}

// writeError answers as SQS does in the JSON protocol: __type and message in
// the body, the query protocol's code and fault in x-amzn-query-error.
func (j *sqsJSON) writeError(w http.ResponseWriter, err error) {
	e := j.errors.shape(err)
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amzn-Query-Error", e.code+";"+fault)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.jsonType, e.msg})
}

// invalidJSONText says why a JSON text holds a string SQS refuses, or "":
// bytes that are not UTF-8, or a \u escape of a lone UTF-16 surrogate.
func invalidJSONText(b []byte) string {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return notUTF8("request", i)
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '"':
			inString = !inString
		case inString && b[i] == '\\' && i+1 < len(b):
			if b[i+1] != 'u' {
				i++
				continue
			}
			r, ok := hexRune(b, i+2)
			if !ok || !utf16.IsSurrogate(r) {
				i++
				continue
			}
			// A high surrogate followed by an escaped low one is a pair.
			if r < 0xDC00 && i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if low, ok := hexRune(b, i+8); ok && low >= 0xDC00 && low <= 0xDFFF {
					i += 11
					continue
				}
			}
			return disallowedChar(r)
		}
	}
	return ""
}

// hexRune reads the four hex digits at b[i:].
func hexRune(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}
