// Package sdkbody keeps aws-sdk-go-v2 from closing its own connection
// while it reads an answer.
//
// smithy-go's ClientHandler closes the request body as soon as the HTTP
// client's Do returns (smithy-go v1.28.9 transport/http/client.go:116), but
// net/http's Transport may not be done with it: Do returns once the
// answer's headers are in, while the transport's writeLoop goroutine, having
// put the body on the socket, still reads it once more to check that it
// holds nothing beyond Content-Length (go1.26 net/http/transfer.go:377,
// doBodyCopy(io.Discard, body)). The SDK's body is its bytes.Reader in
// smithy-go's safe closer, whose WriteTo answers io.EOF once closed
// (transport/http/internal/io/safe.go:34); io.Copy returns WriteTo's error
// as it is (io/io.go:410), writeBody returns it, and writeLoop takes any
// error as a failed write and closes the connection
// (net/http/transport.go:2678), under the caller still reading the answer:
// "read tcp ...: use of closed network connection" after a 200.
//
// The answer can beat writeLoop because the transport flushes the headers
// of a body it does not know to be in memory (transfer.go:106, the safe
// closer hides the bytes.Reader) and then writes the body straight to the
// socket (bufio's ReadFrom with nothing buffered). A server that answers
// within microseconds, as an in-process Go server does, wins in some
// percent of calls (writeLoop also loses whenever it waits for a CPU); the
// call fails only when the answer is larger than what the transport has
// already read ahead, and otherwise costs the connection silently. A safe
// closer's Read after Close answers io.EOF too, which io.Copy takes as the
// end of the body, so hiding WriteTo is enough.
package sdkbody

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ReadOnly is an entry for aws.Config.APIOptions (or a client's
// APIOptions) that sends each attempt's request body through Read, never
// WriteTo.
func ReadOnly(stack *middleware.Stack) error {
	// Last in Deserialize, just before the HTTP client: after the retry
	// loop has cloned and rewound the request for this attempt, after
	// signing has hashed the body, and after request logging, which puts a
	// body with WriteTo back.
	return stack.Deserialize.Add(readOnly{}, middleware.After)
}

type readOnly struct{}

func (readOnly) ID() string { return "orderpipe:RequestBodyWithoutWriteTo" }

func (readOnly) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return next.HandleDeserialize(ctx, in)
	}
	if _, ok := req.GetStream().(io.WriterTo); !ok {
		return next.HandleDeserialize(ctx, in)
	}
	// Neither seekable nor of known length: the request's ContentLength
	// stays as set, and nothing after this point rewinds.
	r, err := req.SetStream(reader{req.GetStream()})
	if err != nil {
		return middleware.DeserializeOutput{}, middleware.Metadata{}, fmt.Errorf("sdkbody: %w", err)
	}
	in.Request = r
	return next.HandleDeserialize(ctx, in)
}

// reader has only Read.
type reader struct{ io.Reader }
