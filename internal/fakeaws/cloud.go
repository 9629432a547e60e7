package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The account and partition the stand-in answers for, and its default
// region: a provider configured without aws:region deploys there.
const (
	Account   = "123456789012"
	Region    = "eu-west-1"
	Partition = "aws"
)

// Outputs are OutputsIn the default Region.
func Outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	return OutputsIn(Region, typ, name, inputs)
}

// OutputsIn are the id and outputs AWS would give a resource of the type
// with these inputs in region: the inputs, and the ARN or URL the program
// reads, derived from the physical name and the region (none in the ARN of
// a global resource: an IAM role or policy, a dashboard).
func OutputsIn(region, typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	physical := physicalName(inputs)
	if physical == "" && autoNamed[typ] {
		// As the provider does: the logical name and a random suffix (here
		// derived from the name, so that runs repeat).
		sum := sha256.Sum256([]byte(name))
		physical = name + "-" + hex.EncodeToString(sum[:])[:7]
		if fifo, ok := inputs["fifoQueue"]; ok && fifo.IsBool() && fifo.BoolValue() {
			physical += ".fifo"
		}
		out["name"] = resource.NewStringProperty(physical)
	}
	arn := func(service, resourcePart string) {
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:%s:%s:%s:%s", Partition, service, region, Account, resourcePart))
	}
	id := physical
	switch typ {
	case "aws:sqs/queue:Queue":
		arn("sqs", physical)
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, Account, physical)
		out["url"] = resource.NewStringProperty(id)
	case "aws:sns/topic:Topic":
		arn("sns", physical)
		id = out["arn"].StringValue()
	case "aws:dynamodb/table:Table":
		arn("dynamodb", "table/"+physical)
	case "aws:cloudwatch/logGroup:LogGroup":
		arn("logs", "log-group:"+physical)
	case "aws:lambda/function:Function":
		arn("lambda", "function:"+physical)
	case "aws:lambda/alias:Alias":
		fn := ""
		if f, ok := inputs["functionName"]; ok && f.IsString() {
			fn = f.StringValue()
			if i := strings.LastIndex(fn, ":function:"); i >= 0 {
				fn = fn[i+len(":function:"):]
			}
		}
		arn("lambda", "function:"+fn+":"+physical)
	case "aws:iam/policy:Policy":
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:iam::%s:policy/%s", Partition, Account, physical))
	case "aws:iam/role:Role":
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition, Account, physical))
	case "aws:kms/key:Key":
		id = uuid(name, inputs)
		arn("kms", "key/"+id)
	case "aws:lambda/eventSourceMapping:EventSourceMapping":
		id = uuid(name, inputs)
		arn("lambda", "event-source-mapping:"+id)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		arn("cloudwatch", "alarm:"+physical)
	case "aws:cloudwatch/dashboard:Dashboard":
		out["dashboardArn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:cloudwatch::%s:dashboard/%s", Partition, Account, physical))
	case "aws:sns/topicSubscription:TopicSubscription":
		if t, ok := inputs["topic"]; ok && t.IsString() {
			id = t.StringValue() + ":" + name
		}
		out["arn"] = resource.NewStringProperty(id)
	}
	if id == "" {
		id = name + "-id"
	}
	return id, out
}

// uuid is the id AWS makes up for a resource that has no name (a KMS key, an
// event source mapping): here derived from the logical name and the inputs
// that tell one stack's resource from another's, so that runs repeat.
func uuid(name string, inputs resource.PropertyMap) string {
	h := sha256.New()
	h.Write([]byte(name))
	for _, k := range []resource.PropertyKey{"description", "functionName", "eventSourceArn", "tags"} {
		if v, ok := inputs[k]; ok {
			fmt.Fprintf(h, "\x00%s=%v", k, v)
		}
	}
	x := hex.EncodeToString(h.Sum(nil))
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// global are the types whose resources belong to the account rather than a
// region: one name in the whole account, and no region in their ARNs.
var global = map[string]bool{
	"aws:iam/role:Role": true, "aws:iam/policy:Policy": true, "aws:cloudwatch/dashboard:Dashboard": true,
	"aws:iam/rolePolicy:RolePolicy": true, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": true,
}

// regionOf is where a resource of typ made in region lives: "" for a
// global one.
func regionOf(typ, region string) string {
	if global[typ] {
		return ""
	}
	return region
}

// autoNamed are the types whose name the provider makes up when the program
// sets none.
var autoNamed = map[string]bool{
	"aws:sqs/queue:Queue": true, "aws:sns/topic:Topic": true, "aws:lambda/function:Function": true,
	"aws:iam/role:Role": true, "aws:iam/policy:Policy": true, "aws:dynamodb/table:Table": true,
}

func physicalName(inputs resource.PropertyMap) string {
	for _, k := range []resource.PropertyKey{"name", "dashboardName"} {
		if v, ok := inputs[k]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

// Invoke is InvokeIn the default Region.
func Invoke(token string) (resource.PropertyMap, error) { return InvokeIn(Region, token) }

// InvokeIn answers the AWS invokes the program makes in region: caller
// identity, partition and region.
func InvokeIn(region, token string) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "id": Account,
			"arn": fmt.Sprintf("arn:%s:iam::%s:user/test", Partition, Account), "userId": "AIDATEST",
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": Partition, "id": Partition, "dnsSuffix": "amazonaws.com"}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region}), nil
	}
	return nil, fmt.Errorf("fakeaws: no mock for invoke %s", token)
}
