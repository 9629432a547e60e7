package stack

import "encoding/json"

// PolicyDocument is an IAM policy document. The pipeline writes its policies
// as values of this type, never as hand-built JSON strings.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func (d PolicyDocument) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		// Only strings and maps of strings: marshalling cannot fail.
		panic(err)
	}
	return string(b)
}

func policy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

func allow(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// functionPolicy is the least-privilege policy of ProcessOrderLambda's role:
// only the actions the handler and its event source mapping use, each on the
// exact ARN it needs (the mapping receives, deletes and reads the queue's
// attributes; nothing changes a message's visibility). Log streams are the
// one pattern: Lambda names them itself, inside the function's own log
// group. X-Ray's write actions have no resource-level permissions: AWS
// documents "*" as their only resource.
func functionPolicy(tableArn, queueArn, dlqArn, logGroupArn string, tracing bool) PolicyDocument {
	doc := policy(
		allow("StoreOrders", []string{"dynamodb:PutItem", "dynamodb:GetItem"}, tableArn),
		allow("ConsumeOrderQueue", []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, queueArn),
		allow("RejectToDLQ", []string{"sqs:SendMessage"}, dlqArn),
		allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroupArn+":log-stream:*"),
	)
	if tracing {
		doc.Statement = append(doc.Statement, allow("WriteTraces", TracingActions(), "*"))
	}
	return doc
}

// TracingActions are what Lambda's active tracing needs of the function's
// role, as AWS's AWSXRayDaemonWriteAccess grants them to Lambda.
func TracingActions() []string {
	return []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
}

// lambdaTrustPolicy lets the Lambda service assume the function's role.
func lambdaTrustPolicy() PolicyDocument {
	return policy(Statement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "lambda.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	})
}
