package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/internal/sdkbody"
	"github.com/orderpipe/orderpipe/local"
	"github.com/orderpipe/orderpipe/ops"
	"github.com/orderpipe/orderpipe/spec"
)

// targetFlags say which pipeline an operator command works on: a deployed
// stack (its outputs read with the Pulumi CLI) or a local run's endpoints.
type targetFlags struct {
	stack      stackFlags
	endpoint   string
	dbEndpoint string
	cmd        *cobra.Command // whose flags these are: which were given
}

func (f *targetFlags) register(c *cobra.Command) {
	f.cmd = c
	fl := c.Flags()
	fl.StringVar(&f.stack.name, "stack", "", "the deployed stack whose outputs name the pipeline")
	fl.StringVar(&f.stack.backend, "backend", "", "Pulumi state backend URL (default: a file backend in --state-dir when given, else $PULUMI_BACKEND_URL, else --state-dir's default)")
	fl.StringVar(&f.stack.stateDir, "state-dir", ".orderpipe/state", "directory of the local file backend")
	fl.StringVar(&f.stack.pulumiRoot, "pulumi-root", "", "directory whose bin/pulumi is the CLI to use (default: pulumi on PATH)")
	fl.StringVar(&f.stack.projectDir, "project-dir", "", "directory of the orderpipe Pulumi.yaml (default: found above the working directory)")
	fl.StringVar(&f.stack.region, "region", "", "AWS region (default: the AWS environment's)")
	c.Flags().StringVar(&f.endpoint, "endpoint", "", "SNS/SQS endpoint of a local run (`orderpipe local --serve`) instead of a stack")
	c.Flags().StringVar(&f.dbEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint of a local run")
}

func (f *targetFlags) target(ctx context.Context, stderr io.Writer) (ops.Target, error) {
	switch {
	case f.endpoint != "":
		return localTarget(ctx, f.endpoint, f.dbEndpoint)
	case f.stack.name != "":
		st := f.stack
		var err error
		if st.backend, err = cmdutil.Backend(f.cmd, st.backend, os.Getenv("PULUMI_BACKEND_URL")); err != nil {
			return ops.Target{}, err
		}
		out, err := st.outputs(ctx)
		if err != nil {
			return ops.Target{}, err
		}
		cfg, err := config.LoadDefaultConfig(ctx, func(o *config.LoadOptions) error {
			if f.stack.region != "" {
				o.Region = f.stack.region
			}
			// The DLQ's messages are up to 256 KB: see sdkbody.
			o.APIOptions = append(o.APIOptions, sdkbody.ReadOnly)
			return nil
		})
		if err != nil {
			return ops.Target{}, fmt.Errorf("AWS configuration: %w", err)
		}
		s := func(k string) string { v, _ := out[k].(string); return v }
		topics := sns.NewFromConfig(cfg)
		return ops.Target{TopicArn: s(spec.OutputTopicArn), Table: s(spec.OutputTableName), QueueURL: s(spec.OutputQueueURL), DLQURL: s(spec.OutputDLQURL),
			SubscriptionDLQURL: s(spec.OutputSubscriptionDLQURL),
			SNS:                topics, Subscriptions: topics, SQS: sqs.NewFromConfig(cfg), DB: dynamodb.NewFromConfig(cfg)}, nil
	}
	return ops.Target{}, errors.New("name the pipeline with --stack NAME or --endpoint URL")
}

// localTarget finds a local run's resources by the names the stack "local"
// derives.
func localTarget(ctx context.Context, endpoint, dbEndpoint string) (ops.Target, error) {
	names := spec.Namer{Project: "orderpipe", Stack: local.StackName}
	notifications := awslocal.SNSClient(endpoint)
	t := ops.Target{SNS: notifications, Subscriptions: notifications, SQS: awslocal.SQSClient(endpoint), Table: names.Name(spec.DynamoDB, spec.TableName)}
	if dbEndpoint != "" {
		t.DB = awslocal.DynamoDBClient(dbEndpoint)
	}
	q := awslocal.SQSClient(endpoint)
	for _, n := range []struct {
		logical string
		url     *string
	}{{spec.QueueName, &t.QueueURL}, {spec.DLQName, &t.DLQURL}, {spec.SubscriptionDLQName, &t.SubscriptionDLQURL}} {
		out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(names.Name(spec.SQS, n.logical))})
		if err != nil {
			return t, fmt.Errorf("queue %s at %s: %w", n.logical, endpoint, err)
		}
		*n.url = aws.ToString(out.QueueUrl)
	}
	topics, err := awslocal.SNSClient(endpoint).ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		return t, fmt.Errorf("topics at %s: %w", endpoint, err)
	}
	for _, tp := range topics.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":"+names.Name(spec.SNS, spec.TopicName)) {
			t.TopicArn = aws.ToString(tp.TopicArn)
		}
	}
	if t.TopicArn == "" {
		return t, fmt.Errorf("no order topic at %s", endpoint)
	}
	return t, nil
}

func localCommand(stdout, stderr io.Writer) *cobra.Command {
	var config []string
	var ordersFile, dynamoDB, dynaliteCLI, deadLetters string
	var serve, verbose bool
	var drainTimeout time.Duration
	c := &cobra.Command{
		Use:   "local",
		Short: "Run the whole pipeline on this machine and send orders through it",
		Long: "Starts SNS/SQS (goaws) and DynamoDB (orderpipe's file table; see --dynamodb) on 127.0.0.1, creates the stack's resources under the names a stack \"local\" gets,\n" +
			"runs the real handler behind a local event source mapping, publishes the demo orders (or --orders FILE, JSON lines),\n" +
			"waits until the queue is drained and prints where every order went. --serve keeps it running for any AWS SDK or CLI.",
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if serve && deadLetters != "" {
				return errors.New("--dead-letters: a run with --serve leaves the dead-letter queue to its clients and writes no file; give one or the other")
			}
			cfg, err := spec.ParseAssignments(config)
			if err != nil {
				return err
			}
			logs := io.Discard
			if serve {
				logs = stderr
			}
			if _, set := os.LookupEnv("GOMEMLIMIT"); !set && dynamoDB != "minidyn" {
				defer debug.SetMemoryLimit(debug.SetMemoryLimit(localMemoryLimit))
			}
			tables, tablesAre, err := localTables(dynamoDB, dynaliteCLI)
			if err != nil {
				return err
			}
			p, err := local.Start(ctx, cfg, tables, logs, stderr)
			if err != nil {
				return err
			}
			defer p.Close()
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- p.Run(runCtx) }()
			defer func() { stop(); <-done }()

			fmt.Fprintf(stdout, "SNS and SQS: %s\nDynamoDB:    %s\ntopic:       %s\nqueue:       %s\ndead-letter: %s\ntable:       %s\ntable kept:  %s\n",
				p.SQSEndpoint, p.DBEndpoint, p.TopicArn, p.QueueURL, p.DLQURL, p.Table, tablesAre)
			if serve {
				fmt.Fprintln(stdout, "serving until Ctrl-C; try: go run ./cmd/orderpipe smoke --endpoint", p.SQSEndpoint, "--dynamodb-endpoint", p.DBEndpoint)
				<-ctx.Done()
				return nil
			}
			if verbose {
				p.Outcomes.KeepAll()
			}
			if err := p.KeepDeadLetters(deadLetters, verbose); err != nil {
				return err
			}
			published := 0
			var refused local.Section[local.Refused]
			if ordersFile != "" {
				published, refused, err = feedFile(ctx, p, ordersFile, stdout, drainTimeout, verbose)
			} else {
				for _, round := range local.DemoOrders() {
					var r []local.Refused
					r, err = p.Publish(ctx, round, stdout, drainTimeout)
					refused.N, refused.First = refused.N+len(r), append(refused.First, r...)
					published += len(round)
					if err != nil {
						break
					}
				}
			}
			if err != nil {
				// The report still says where everything went.
				fmt.Fprintln(stderr, "orderpipe local:", err)
			}
			report := p.BuildReport(ctx, published, refused, verbose)
			report.Write(stdout)
			if report.Lost() != 0 || len(report.Unread) > 0 {
				return local.ErrLost
			}
			// The orders not read or not published (a file that could not
			// be read to its end, an interrupted run) are in no report.
			return err
		},
	}
	c.Flags().StringArrayVar(&config, "config", nil, "orderpipe configuration as key=value; repeatable")
	c.Flags().StringVar(&ordersFile, "orders", "", "publish the orders of this file (one JSON order a line) instead of the demo")
	c.Flags().StringVar(&dynamoDB, "dynamodb", "file", "the DynamoDB stand-in: file (orderpipe's file table: in this process, the table on disk; the calls the pipeline makes, others refused), dynalite (Node.js and --dynalite; the table on disk, the whole API) or minidyn (in this process; the whole API; its memory grows about 5 KB per stored order)")
	c.Flags().StringVar(&dynaliteCLI, "dynalite", "tools/node_modules/dynalite/cli.js", "dynalite's cli.js, for --dynamodb dynalite (tools/install puts it there)")
	c.Flags().StringVar(&deadLetters, "dead-letters", "", "write every message that reaches the dead-letter queue, with why, to this new file (JSON lines); without it, a temporary file removed at the end. Each leaves the queue once written, so a run's memory does not grow with them. Not with --serve, which leaves the queue to its clients")
	c.Flags().BoolVar(&serve, "serve", false, "keep running and print the endpoints")
	c.Flags().BoolVar(&verbose, "verbose", false, "list every order in the report, not only the first of each section")
	c.Flags().DurationVar(&drainTimeout, "timeout", 2*time.Minute, "how long to wait for the queue to drain after each round")
	return c
}

// localMemoryLimit is the Go memory a local run asks the collector to keep
// to (GOMEMLIMIT overrides it). By default Go lets the heap grow to twice
// what is live, and a run's live heap is small (10–15 MB: messages in
// flight, the table's index) but spikes as large messages pass: the peak
// then rose with the number of orders by chance alone (44 → 55 MB from
// 10,000 to 50,000 orders; 42 → 43 MB with this limit, in the same time).
// A soft limit: a run that needs more (--verbose keeps every entry) gets
// it, at the cost of more collections. Not with minidyn, whose table is
// this heap: its collector would run at its CPU cap (5,000 orders took
// 19–25 s of CPU against 6–9 s, and invocations timed out).
const localMemoryLimit = 32 << 20

// localTables is the DynamoDB stand-in --dynamodb names, and how the
// run's header describes it. The file table, the default, needs nothing
// but Go and keeps the table on disk, so a run's memory does not grow with
// the orders it stores; dynalite and minidyn serve all of DynamoDB's API,
// for clients of --serve that need more.
func localTables(name, dynaliteCLI string) (local.Tables, string, error) {
	switch name {
	case "file":
		return local.InFiles, "on disk, in this process, by orderpipe's file table", nil
	case "minidyn":
		return local.InProcess, "in this process's memory, by minidyn", nil
	case "dynalite":
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, "", fmt.Errorf("--dynamodb dynalite needs Node.js: %w", err)
		}
		if _, err := os.Stat(dynaliteCLI); err != nil {
			return nil, "", fmt.Errorf("--dynamodb dynalite: %w (run tools/install, or give its cli.js with --dynalite)", err)
		}
		return local.OnDisk(node, dynaliteCLI), "on disk, by dynalite", nil
	}
	return nil, "", fmt.Errorf("--dynamodb: %q is not file, dynalite or minidyn", name)
}

// feedFile feeds the orders of the file at path to the local pipeline.
func feedFile(ctx context.Context, p *local.Pipeline, path string, w io.Writer, timeout time.Duration, all bool) (int, local.Section[local.Refused], error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, local.Section[local.Refused]{}, err
	}
	defer f.Close()
	return p.Feed(ctx, f, w, timeout, all)
}

// readLines reads an orders file as `local --orders` does.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	err = local.OrderLines(f, func(l local.OrderLine) error {
		if l.Size > len(l.Text) {
			return fmt.Errorf("line %d: %d bytes, over SNS's limit of 256 KiB", l.Number, l.Size)
		}
		lines = append(lines, l.Text)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lines, nil
}

func publishCommand(stdout, stderr io.Writer) *cobra.Command {
	var f targetFlags
	var file string
	c := &cobra.Command{
		Use:   "publish [ORDER_JSON...]",
		Short: "Publish orders (arguments, or --file with one JSON order a line) to the pipeline's topic",
		RunE: func(c *cobra.Command, args []string) error {
			orders := args
			if file != "" {
				lines, err := readLines(file)
				if err != nil {
					return err
				}
				orders = append(orders, lines...)
			}
			if len(orders) == 0 {
				return errors.New("no orders: pass them as arguments or --file")
			}
			t, err := f.target(c.Context(), stderr)
			if err != nil {
				return err
			}
			ids, err := ops.Publish(c.Context(), t.SNS, t.TopicArn, orders)
			for _, id := range ids {
				if id != "" {
					fmt.Fprintln(stdout, "published", id)
				}
			}
			return err
		},
	}
	f.register(c)
	c.Flags().StringVar(&file, "file", "", "a file of orders, one JSON order a line")
	return c
}

func dlqCommand(stdout, stderr io.Writer) *cobra.Command {
	dlq := &cobra.Command{Use: "dlq", Short: "Look into and redrive the dead-letter queues: OrderQueue's, and the subscription's (what SNS could not deliver)"}
	var lf targetFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List both dead-letter queues' messages and why they are there, without consuming them",
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := lf.target(c.Context(), stderr)
			if err != nil {
				return err
			}
			msgs, err := ops.ListDLQ(c.Context(), t.SQS, t.DLQURL)
			msgs = inQueue(msgs, spec.DLQName)
			if t.SubscriptionDLQURL != "" {
				notes, nerr := ops.ListDLQ(c.Context(), t.SQS, t.SubscriptionDLQURL)
				msgs, err = append(msgs, inQueue(notes, spec.SubscriptionDLQName)...), errors.Join(err, nerr)
			} else {
				fmt.Fprintln(stderr, "the stack has no subscription dead-letter queue (deployed before it had one): listed OrderQueue's only")
			}
			cmdutil.PrintJSON(stdout, msgs)
			return err
		},
	}
	lf.register(list)
	var rf targetFlags
	var dryRun bool
	redrive := &cobra.Command{
		Use:   "redrive",
		Short: "Move both dead-letter queues' messages to the order queue (send, then delete), each in the form the handler would have received",
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := rf.target(c.Context(), stderr)
			if err != nil {
				return err
			}
			verb := "moved"
			if dryRun {
				verb = "would move"
			}
			orderErr := redriveOrderDLQ(c.Context(), t, dryRun, verb, stdout, stderr)
			if t.SubscriptionDLQURL == "" {
				fmt.Fprintln(stderr, "the stack has no subscription dead-letter queue (deployed before it had one): redrove OrderQueue's only")
				return orderErr
			}
			return errors.Join(orderErr, redriveSubscriptionDLQ(c.Context(), t, dryRun, verb, stdout))
		},
	}
	rf.register(redrive)
	redrive.Flags().BoolVar(&dryRun, "dry-run", false, "list what would move, move nothing")
	dlq.AddCommand(list, redrive)
	return dlq
}

func inQueue(msgs []ops.DeadLetter, queue string) []ops.DeadLetter {
	for i := range msgs {
		msgs[i].Queue = queue
	}
	return msgs
}

// redriveOrderDLQ moves OrderQueueDLQ back to OrderQueue: with a
// message-move task where SQS has them, else one by one.
func redriveOrderDLQ(ctx context.Context, t ops.Target, dryRun bool, verb string, stdout, stderr io.Writer) error {
	if m, ok := t.SQS.(ops.Mover); ok && !dryRun {
		arn, err := ops.QueueArn(ctx, t.SQS, t.DLQURL)
		if err != nil {
			return err
		}
		n, err := ops.MoveTask(ctx, m, arn, 10*time.Minute)
		if err == nil {
			fmt.Fprintf(stdout, "moved %d messages with a message-move task\n", n)
			return nil
		}
		fmt.Fprintf(stderr, "no message-move task (%v); moving the messages one by one\n", err)
	}
	moved, err := ops.Redrive(ctx, t.SQS, t.DLQURL, t.QueueURL, dryRun)
	for _, m := range moved {
		fmt.Fprintln(stdout, verb, m.MessageID)
	}
	return err
}

// redriveSubscriptionDLQ moves what SNS could not deliver to OrderQueue, in
// the form the subscription delivers now (raw or envelope, as SNS says).
func redriveSubscriptionDLQ(ctx context.Context, t ops.Target, dryRun bool, verb string, stdout io.Writer) error {
	queueArn, err := ops.QueueArn(ctx, t.SQS, t.QueueURL)
	if err != nil {
		return err
	}
	raw, err := ops.RawDelivery(ctx, t.Subscriptions, t.TopicArn, queueArn)
	if err != nil {
		return fmt.Errorf("how the subscription delivers, to redrive its dead-letter queue in that form: %w", err)
	}
	moved, err := ops.RedriveNotifications(ctx, t.SQS, t.SubscriptionDLQURL, t.QueueURL, raw, dryRun)
	for _, m := range moved {
		fmt.Fprintln(stdout, verb, m.MessageID, "(not delivered by SNS)")
	}
	return err
}

func smokeCommand(stdout, stderr io.Writer) *cobra.Command {
	var f targetFlags
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "smoke",
		Short: "Send a test order through SNS, wait for it in the table, check the DLQ did not grow; print each hop's time",
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := f.target(c.Context(), stderr)
			if err != nil {
				return err
			}
			if t.DB == nil {
				return errors.New("smoke needs the table: add --dynamodb-endpoint")
			}
			r, err := ops.Smoke(c.Context(), t, timeout)
			fmt.Fprintf(stdout, "order %s: published in %v, stored after %v, dead-letter queue grew: %v\n", r.OrderID, r.Published, r.Stored, r.DLQGrew)
			return err
		},
	}
	f.register(c)
	c.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the order in the table")
	return c
}
