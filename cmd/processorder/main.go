// Command processorder is ProcessOrderLambda's bootstrap executable.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/internal/sdkbody"
)

func main() {
	if err := run(context.Background()); err != nil {
		// Failing init makes Lambda report the message instead of running a
		// function that cannot work.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run builds everything once per container, outside the handler.
func run(ctx context.Context) error {
	cfg, err := function.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	function.TuneGC(os.Getenv)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	// Without it the SDK closes its own connection when an answer comes
	// back before net/http is done with the request body: the call fails
	// and is retried when the answer is large (a 400 KB item, a batch of
	// 256 KB messages), and the connection is lost when it is small.
	awsCfg.APIOptions = append(awsCfg.APIOptions, sdkbody.ReadOnly)
	h := &function.Handler{
		Store:       function.DynamoStore{Client: function.NewDynamoDBClient(awsCfg, cfg.Concurrency), Table: cfg.Table},
		DeadLetters: function.SQSDeadLetters{Client: sqs.NewFromConfig(awsCfg), QueueURL: cfg.DLQURL},
		Metrics:     &function.EMF{W: os.Stdout, Namespace: function.MetricsNamespace, FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME")},
		Log:         slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})),
		Concurrency: cfg.Concurrency,
	}
	lambda.StartWithOptions(h.Handle, lambda.WithContext(ctx))
	return nil
}
