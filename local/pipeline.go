// Package local runs the whole order pipeline on one machine, on
// 127.0.0.1: SNS and SQS from goaws in this process, DynamoDB from
// orderpipe's file table or minidyn in this process or dynalite in a
// child, and the real handler behind a poller that does what Lambda's
// event source mapping does. Names and settings come from the stack's own
// configuration and naming code.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/filetable"
	"github.com/orderpipe/orderpipe/ops"
	"github.com/orderpipe/orderpipe/spec"
)

// StackName is the stack name of the local run: its resources are named
// like a stack "local" of project "orderpipe".
const StackName = "local"

// localDefaults make retries visible within seconds: the visibility timeout
// derives from the function timeout (6 × 1 s), as on AWS.
func localDefaults() map[string]string { return map[string]string{"lambdaTimeout": "1"} }

// Pipeline is the running local pipeline.
type Pipeline struct {
	Config                  spec.Config
	TopicArn                string
	QueueURL, QueueArn      string
	DLQURL, DLQArn          string
	Table                   string
	SQSEndpoint, DBEndpoint string

	// SubscriptionDLQURL is the subscription's dead-letter queue. goaws
	// never puts anything in it: it cannot fail a delivery.
	SubscriptionDLQURL, SubscriptionDLQArn string

	SQS *sqs.Client
	SNS *sns.Client
	DB  *dynamodb.Client

	Outcomes *Recorder

	sqsSrv *awslocal.SQS
	stopDB func() error
	dead   *deadLetters
	log    *slog.Logger
}

// sqsTick is how often goaws expires visibility timeouts and moves
// messages to a dead-letter queue.
const sqsTick = 200 * time.Millisecond

// Tables starts the DynamoDB stand-in that holds a local run's table: it
// returns its endpoint and how to stop it.
type Tables func(ctx context.Context) (endpoint string, stop func() error, err error)

// InProcess is minidyn in this process: nothing to install, but the table
// is in this process's memory, about 5 KB per stored order.
func InProcess(context.Context) (string, func() error, error) {
	db, err := awslocal.StartDynamoDB()
	if err != nil {
		return "", nil, err
	}
	return db.Endpoint, db.Close, nil
}

// InFiles is orderpipe's file table (internal/filetable) in this process,
// its tables append-only files in a new temporary directory that stopping
// removes: only their index is in memory, about 90 bytes a stored order,
// and nothing but Go is needed. It serves the calls the handler, the
// report and the operator commands make (PutItem, GetItem, Scan and the
// table's life cycle) and refuses others, saying so; --serve for other
// clients may want dynalite or minidyn.
func InFiles(context.Context) (string, func() error, error) {
	return inTempDir(func(dir string) (string, func() error, error) {
		s, err := filetable.Start(dir)
		if err != nil {
			return "", nil, err
		}
		return s.Endpoint, s.Close, nil
	})
}

// OnDisk is dynalite (cliJS, dynalite's cli.js) under node, in a process
// of its own, with the table in a LevelDB store in a new temporary
// directory that stopping removes. Node's memory still grows with the
// table (LevelDB maps its files and caches their blocks).
func OnDisk(node, cliJS string) Tables {
	return func(ctx context.Context) (string, func() error, error) {
		return inTempDir(func(dir string) (string, func() error, error) {
			db, err := awslocal.StartDynaliteOnDisk(ctx, node, cliJS, dir)
			if err != nil {
				return "", nil, err
			}
			return db.Endpoint, db.Close, nil
		})
	}
}

// inTempDir starts a table whose store is a new temporary directory, and
// removes the directory when the table stops. The directories that killed
// runs left are removed first.
func inTempDir(start func(dir string) (string, func() error, error)) (string, func() error, error) {
	removeTablesLeft(os.TempDir())
	dir, err := os.MkdirTemp("", tableDirPrefix)
	if err != nil {
		return "", nil, err
	}
	endpoint, stop, err := start(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return endpoint, func() error { return errors.Join(stop(), os.RemoveAll(dir)) }, nil
}

// tableDirPrefix begins the name of a run's table directory.
const tableDirPrefix = "orderpipe-local-table-"

// Start starts the stand-ins, the table in tables, and creates the
// pipeline's resources from the configuration (orderpipe keys; unset ones
// take the stack's defaults, and lambdaTimeout 1 s). Handler logs go to
// logs, and what goes wrong in the local event source mapping (a failed
// receive or delete) to warnings.
func Start(ctx context.Context, config map[string]string, tables Tables, logs, warnings io.Writer) (*Pipeline, error) {
	merged := localDefaults()
	maps.Copy(merged, config)
	cfg, err := spec.LoadMap(StackName, merged)
	if err != nil {
		return nil, err
	}
	names := spec.Namer{Project: "orderpipe", Stack: StackName}
	sqsSrv, err := awslocal.StartSQS(sqsTick)
	if err != nil {
		return nil, err
	}
	dbEndpoint, stopDB, err := tables(ctx)
	if err != nil {
		sqsSrv.Close()
		return nil, err
	}
	p := &Pipeline{
		Config: cfg, Table: names.Name(spec.DynamoDB, spec.TableName),
		SQSEndpoint: sqsSrv.Endpoint, DBEndpoint: dbEndpoint,
		SQS: awslocal.SQSClient(sqsSrv.Endpoint), SNS: awslocal.SNSClient(sqsSrv.Endpoint), DB: awslocal.DynamoDBClient(dbEndpoint),
		Outcomes: NewRecorder(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		sqsSrv:   sqsSrv, stopDB: stopDB,
		log: slog.New(slog.NewTextHandler(warnings, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if err := p.create(ctx, names); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) create(ctx context.Context, names spec.Namer) error {
	cfg := p.Config
	table, err := p.DB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(p.Table),
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("orderId"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("orderId"), KeyType: dbtypes.KeyTypeHash}},
		BillingMode:          dbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", p.Table, err)
	}
	// dynalite, as DynamoDB, answers CREATING; minidyn has no status (and
	// its table is usable at once).
	if d := table.TableDescription; d != nil && d.TableStatus != "" && d.TableStatus != dbtypes.TableStatusActive {
		if err := dynamodb.NewTableExistsWaiter(p.DB).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)}, time.Minute,
			func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond }); err != nil {
			return fmt.Errorf("wait for table %s: %w", p.Table, err)
		}
	}
	if p.DLQURL, p.DLQArn, err = p.createQueue(ctx, names.Name(spec.SQS, spec.DLQName), map[string]string{
		"MessageRetentionPeriod": strconv.Itoa(cfg.DLQRetention),
	}); err != nil {
		return err
	}
	redrive, err := spec.RedrivePolicy(p.DLQArn, cfg.MaxReceiveCount)
	if err != nil {
		return err
	}
	if p.QueueURL, p.QueueArn, err = p.createQueue(ctx, names.Name(spec.SQS, spec.QueueName), map[string]string{
		"VisibilityTimeout":      strconv.Itoa(cfg.VisibilityTimeout()),
		"MessageRetentionPeriod": strconv.Itoa(cfg.QueueRetention),
		"RedrivePolicy":          redrive,
	}); err != nil {
		return err
	}
	if p.SubscriptionDLQURL, p.SubscriptionDLQArn, err = p.createQueue(ctx, names.Name(spec.SQS, spec.SubscriptionDLQName), map[string]string{
		"MessageRetentionPeriod": strconv.Itoa(spec.SubscriptionDLQRetention),
	}); err != nil {
		return err
	}
	topic, err := p.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(names.Name(spec.SNS, spec.TopicName))})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	p.TopicArn = aws.ToString(topic.TopicArn)
	// goaws ignores RedrivePolicy (it never fails a delivery); AWS would
	// take it as the stack sets it.
	subRedrive, err := json.Marshal(map[string]string{"deadLetterTargetArn": p.SubscriptionDLQArn})
	if err != nil {
		return err
	}
	if _, err := p.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(p.QueueArn),
		Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(cfg.RawMessageDelivery), "RedrivePolicy": string(subRedrive)},
	}); err != nil {
		return fmt.Errorf("subscribe the queue: %w", err)
	}
	return nil
}

func (p *Pipeline) createQueue(ctx context.Context, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := p.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url = aws.ToString(out.QueueUrl)
	arn, err = ops.QueueArn(ctx, p.SQS, url)
	return url, arn, err
}

// Handler is the real handler, wired to the stand-ins.
func (p *Pipeline) Handler() *function.Handler {
	return &function.Handler{
		Store:       function.DynamoStore{Client: p.DB, Table: p.Table},
		DeadLetters: function.SQSDeadLetters{Client: p.SQS, QueueURL: p.DLQURL},
		Log:         slog.New(p.Outcomes),
		Concurrency: p.Config.HandlerConcurrency,
	}
}

// Run runs the event source mapping until ctx is done.
func (p *Pipeline) Run(ctx context.Context) error {
	return p.poller().Run(ctx)
}

// poller is the event source mapping as the stack configures it, invoking
// the handler with the function's timeout.
func (p *Pipeline) poller() *Poller {
	return &Poller{
		Client: p.SQS, QueueURL: p.QueueURL, QueueArn: p.QueueArn, Region: awslocal.Region,
		BatchSize: p.Config.BatchSize, Window: time.Duration(p.Config.BatchWindow) * time.Second,
		Concurrency: p.Config.MaxConcurrency, Timeout: time.Duration(p.Config.LambdaTimeout) * time.Second,
		Invoke: p.Handler().Handle, Acknowledged: p.acknowledged, Log: p.log,
	}
}

// acknowledged tells the recorder which messages left the queue, and lets
// it read which message stored an order.
func (p *Pipeline) acknowledged(ctx context.Context, messageIDs ...string) {
	p.Outcomes.Acknowledged(ctx, p.storedBy, messageIDs...)
}

// storedBy is the id of the message that stored the order, from the table.
func (p *Pipeline) storedBy(ctx context.Context, orderID string) (string, error) {
	out, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(p.Table), ConsistentRead: aws.Bool(true),
		Key:                  map[string]dbtypes.AttributeValue{"orderId": &dbtypes.AttributeValueMemberS{Value: orderID}},
		ProjectionExpression: aws.String("messageId"),
	})
	if err != nil {
		return "", fmt.Errorf("read order %s: %w", orderID, err)
	}
	if v, ok := out.Item["messageId"].(*dbtypes.AttributeValueMemberS); ok {
		return v.Value, nil
	}
	return "", nil
}

// Close stops the stand-ins.
func (p *Pipeline) Close() error {
	var err error
	if p.dead != nil {
		err = p.dead.close()
	}
	return errors.Join(err, p.sqsSrv.Close(), p.stopDB())
}
