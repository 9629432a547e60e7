package function

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NewDynamoDBClient is the function's DynamoDB client, made once per
// container. It keeps as many idle connections to DynamoDB as records run at
// once (the SDK keeps 10), so that with handlerConcurrency above 10 no call
// of a batch opens a new connection and pays a TLS handshake. Other client
// options (retry rate limiting, endpoint resolution) changed nothing that
// BenchmarkCost in internal/lambdacost could measure, and stay the SDK's.
func NewDynamoDBClient(cfg aws.Config, concurrency int, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	transport := func(o *dynamodb.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = max(concurrency, awshttp.DefaultHTTPTransportMaxIdleConnsPerHost)
		})
	}
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){transport}, optFns...)...)
}

// WithEndpoint points a client at another endpoint, such as a stand-in.
func WithEndpoint(url string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) }
}
