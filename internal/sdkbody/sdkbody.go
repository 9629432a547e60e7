// Package sdkbody keeps aws-sdk-go-v2 from breaking its own connections
// while it reads an answer.
//
// smithy-go's ClientHandler closes the request body as soon as the HTTP
// client's Do returns (transport/http/client.go, "HTTP RoundTripper *should*
// close the request body"), but net/http's Transport may still be using it:
// once the body is on the socket, and so possibly already answered, the
// transport's writeLoop goroutine reads the body once more to check that it
// holds no bytes beyond Content-Length (net/http/transfer.go,
// transferWriter.writeBody: doBodyCopy(io.Discard, body)). The SDK's body is
// a bytes.Reader inside smithy-go's safe closer, whose WriteTo answers
// io.EOF once closed (transport/http/internal/io/safe.go); io.Copy hands
// WriteTo's error back as it is, writeBody returns it, and writeLoop takes
// any error as a failed write and closes the connection
// (net/http/transport.go, persistConn.writeLoop: pc.close(err)), under the
// caller still reading the answer: "read tcp ...: use of closed network
// connection" after a 200.
//
// It happens when the answer arrives between the body's write and that last
// read, which a server on the same machine that answers within microseconds
// (goaws, the file table) does in some percent of calls; it surfaces only
// when the answer is larger than what the transport has already buffered,
// and otherwise costs the connection silently. A safe closer's Read after
// Close answers io.EOF too, which io.Copy takes as the end of the body, so
// hiding WriteTo is enough.
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
