// Package account finds and deletes resources in an AWS account without any
// state: through the Resource Groups Tagging API, which lists what carries a
// tag, and by physical name for what that API cannot list (IAM roles,
// CloudWatch dashboards, a resource whose create was cut short before it was
// tagged). Ephemeral environments use it to recover from a killed run and to
// sweep what no state knows.
package account

import (
	"errors"
	"fmt"
	"strings"
)

// Resource is a resource of the account. Find fills Tags too: empty when
// the resource has none, nil only for a dashboard, which takes none.
type Resource struct {
	ARN  string
	Tags map[string]string // as the Tagging API lists them, or as Find reads them
	Body string            // a dashboard's body, which names what it shows (dashboards take no tags)
}

// ErrNoName is returned by Find for a type whose resources have no name to
// look them up by (a KMS key, an event source mapping): only their tags find
// them.
var ErrNoName = errors.New("resources of this type have no name to find them by")

// Kind is the service and resource type of an ARN, as "dynamodb:table",
// "sqs:queue" or "iam:role".
func Kind(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	service, res := parts[2], parts[5]
	switch service {
	case "sqs":
		return "sqs:queue"
	case "sns":
		if strings.Count(res, ":") > 0 {
			return "sns:subscription"
		}
		return "sns:topic"
	}
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		res = res[:i]
	}
	return service + ":" + res
}

// Name is the last part of an ARN's resource: a table's, queue's, topic's,
// function's, role's name, a key's or a mapping's id.
func Name(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	res := strings.TrimSuffix(parts[5], ":*") // a log group's ARN as CloudWatch Logs gives it
	if k := Kind(arn); k == "sqs:queue" || k == "sns:topic" {
		return res
	}
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		res = res[i+1:]
	}
	if parts[2] == "iam" { // a role or policy name after its path
		res = res[strings.LastIndex(res, "/")+1:]
	}
	return res
}

// Describe is a resource in words, for reports: "dynamodb table orderpipe-pr-1-x-Orders".
func Describe(arn string) string {
	k := Kind(arn)
	if k == "" {
		return arn
	}
	return strings.ReplaceAll(k, ":", " ") + " " + Name(arn)
}

// ErrOtherRegion is returned for a resource of another region than the
// client's: AWS's calls act on a name in the client's region, so acting on
// it there could hit another resource of that name.
var ErrOtherRegion = errors.New("the resource is in another region than the account's client")

// InRegion returns ErrOtherRegion, naming both regions, unless the ARN's
// resource is in region or global (an ARN without a region: IAM, a
// dashboard).
func InRegion(resourceARN, region string) error {
	parts := strings.SplitN(resourceARN, ":", 6)
	if len(parts) < 6 {
		return fmt.Errorf("%q is not an ARN", resourceARN)
	}
	if parts[3] != "" && parts[3] != region {
		return fmt.Errorf("%s is in %s, the client in %s: %w; nothing was done", resourceARN, parts[3], region, ErrOtherRegion)
	}
	return nil
}
