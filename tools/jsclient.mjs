// Drives `orderpipe local --serve` with the AWS SDK for JavaScript v3, as a
// developer's own tools would: SQS in its JSON protocol, SNS in query.
// Usage: node tools/jsclient.mjs ENDPOINT ORDER_ID POISON_ID
// It reports what it saw as one JSON object on stdout; the Go test
// (cmd/orderpipe) judges it. It throws only on what no step expects.
import { SQSClient, ListQueuesCommand, GetQueueUrlCommand, GetQueueAttributesCommand, SendMessageCommand,
  ReceiveMessageCommand, ChangeMessageVisibilityCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { SNSClient, ListTopicsCommand, PublishCommand } from "@aws-sdk/client-sns";

const [endpoint, orderId, poisonId] = process.argv.slice(2);
const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 };
const sqs = new SQSClient(config);
const sns = new SNSClient(config);
const report = {};

// An error as a test can judge it: the SDK's name, the query code it keeps
// (x-amzn-query-error) and the HTTP status.
const failure = (e) => ({ name: e.name, code: e.Code, status: e.$metadata?.httpStatusCode, message: e.message });
const attempt = async (f) => { try { return { ok: await f() }; } catch (e) { return { error: failure(e) }; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "orderpipe-local-" }));
report.queues = (listed.QueueUrls ?? []).map((u) => u.split("/").pop()).sort();
const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: "orderpipe-local-OrderQueue" }))).QueueUrl;
const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: "orderpipe-local-OrderQueueDLQ" }))).QueueUrl;
report.missingQueue = await attempt(() => sqs.send(new GetQueueUrlCommand({ QueueName: "orderpipe-local-NoSuchQueue" })));
const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }));
report.queueArn = attrs.Attributes.QueueArn;
report.redrivePolicy = attrs.Attributes.RedrivePolicy;

const topics = await sns.send(new ListTopicsCommand({}));
const topicArn = topics.Topics.map((t) => t.TopicArn).find((a) => a.endsWith(":orderpipe-local-OrderTopic"));
const order = { orderId, customerId: "c-js", items: [{ sku: "JS-1", quantity: 2, unitPrice: "1.25" }], currency: "EUR", total: "2.50" };
report.published = (await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(order) }))).MessageId;
report.poisonPublished = (await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ orderId: poisonId, total: "x" }) }))).MessageId;

// SQS refuses what it cannot carry; the SDK checks the MD5 of what it takes.
report.sentDirect = await attempt(async () => (await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: "direct é😀\r\n" }))).MessageId);
report.sentNUL = await attempt(() => sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: "nul \u0000" })));
report.sentLoneSurrogate = await attempt(() => sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: "lone \ud800" })));

// The DLQ, listed without consuming it (each message made visible again),
// until the poison order has arrived with its reason.
const receiveAll = async () => {
  const seen = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
      MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
    if (!out.Messages?.length) return seen;
    seen.push(...out.Messages);
  }
};
const release = (ms) => Promise.all(ms.map((m) => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }))));
let dlq = [];
for (let i = 0; i < 60 && !dlq.some((m) => m.Body.includes(poisonId)); i++) {
  await release(dlq);
  await sleep(500);
  dlq = await receiveAll();
}
await release(dlq);
report.dlq = dlq.map((m) => ({ messageId: m.MessageId, body: m.Body, reason: m.MessageAttributes?.["orderpipe.reason"]?.StringValue,
  originalMessageId: m.MessageAttributes?.["orderpipe.originalMessageId"]?.StringValue }));
const depth = async () => Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }))).Attributes.ApproximateNumberOfMessages);
report.dlqDepthAfterListing = await depth();

// Receive and delete: the poison order and the direct message leave the DLQ.
report.deleted = [];
for (const m of await receiveAll()) {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
  report.deleted.push(m.MessageId);
}
report.dlqDepthAfterDelete = await depth();
console.log(JSON.stringify(report));
