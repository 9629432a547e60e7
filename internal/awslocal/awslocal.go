// Package awslocal runs stand-ins for the AWS services orderpipe uses, on
// 127.0.0.1, and makes aws-sdk-go-v2 clients for them: goaws for SNS and
// SQS, minidyn and dynalite for DynamoDB. None of them is AWS; their known
// differences are in the README. Code under test talks to them only through
// the real SDK clients.
package awslocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/sirupsen/logrus"
	"github.com/truora/minidyn/server"

	"github.com/orderpipe/orderpipe/internal/sdkbody"
)

// The account and region every stand-in answers for.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// Config is an AWS configuration with static credentials for the stand-ins.
// Its clients send request bodies through sdkbody.ReadOnly: against a Go
// server on 127.0.0.1 the SDK otherwise closes its own connection under
// some percent of large answers.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		APIOptions:  []func(*middleware.Stack) error{sdkbody.ReadOnly},
	}
}

// DynamoDBClient is a DynamoDB client for a stand-in at endpoint.
func DynamoDBClient(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		// minidyn sends no CRC32 header.
		o.DisableValidateResponseChecksum = true
	})
}

// SQSClient is an SQS client for the local SQS at endpoint, on the SDK's
// default protocol (JSON), as against AWS.
func SQSClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// SNSClient is an SNS client for goaws at endpoint.
func SNSClient(endpoint string) *sns.Client {
	return sns.NewFromConfig(Config(), func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// goawsStarted guards goaws, whose state is global to the process: a second
// server would share and overwrite the first one's queues.
var goawsStarted atomic.Bool

// SQS is goaws serving SNS and SQS.
type SQS struct {
	Endpoint string
	srv      *http.Server
	quit     chan struct{}
}

// StartSQS starts goaws on a free port of 127.0.0.1, at most once a process.
// tick is how often visibility timeouts expire and redrive policies move
// messages; 200ms keeps tests fast.
func StartSQS(tick time.Duration) (*SQS, error) {
	if !goawsStarted.CompareAndSwap(false, true) {
		return nil, errors.New("awslocal: goaws runs at most once a process")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logrus.SetOutput(io.Discard)
	app.CurrentEnvironment.AccountID = AccountID
	app.CurrentEnvironment.Region = Region
	app.CurrentEnvironment.QueueAttributeDefaults = app.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144}
	// What goaws's servertest does, with refuseInvalid and the JSON
	// protocol in front.
	app.CurrentEnvironment.Host = "127.0.0.1"
	app.CurrentEnvironment.Port = strconv.Itoa(port)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start goaws: %w", err)
	}
	srv := &http.Server{Handler: newSQSJSON(refuseInvalid(router.New())), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	s := &SQS{Endpoint: "http://" + addr, srv: srv, quit: make(chan struct{})}
	go gosqs.PeriodicTasks(tick, s.quit)
	return s, nil
}

// Close stops goaws. Its state stays: goaws cannot start again in this
// process.
func (s *SQS) Close() error {
	close(s.quit)
	return s.srv.Close()
}

// DynamoDB is minidyn serving DynamoDB over HTTP.
type DynamoDB struct {
	Endpoint string
	srv      *http.Server
}

// StartDynamoDB starts a new, empty minidyn on a free port of 127.0.0.1.
func StartDynamoDB() (*DynamoDB, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start minidyn: %w", err)
	}
	srv := &http.Server{Handler: server.NewServer(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return &DynamoDB{Endpoint: "http://" + l.Addr().String(), srv: srv}, nil
}

// Close stops minidyn.
func (d *DynamoDB) Close() error { return d.srv.Shutdown(context.Background()) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
