package account

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AWS is an account reached through aws-sdk-go-v2, in the region of its
// configuration.
type AWS struct {
	tagging    *resourcegroupstaggingapi.Client
	dynamodb   *dynamodb.Client
	sqs        *sqs.Client
	sns        *sns.Client
	lambda     *lambda.Client
	logs       *cloudwatchlogs.Client
	cloudwatch *cloudwatch.Client
	iam        *iam.Client
	kms        *kms.Client
	sts        *sts.Client
	region     string
}

// NewAWS returns the account of cfg's credentials, in cfg's region.
func NewAWS(cfg aws.Config) *AWS {
	return &AWS{
		tagging:    resourcegroupstaggingapi.NewFromConfig(cfg),
		dynamodb:   dynamodb.NewFromConfig(cfg),
		sqs:        sqs.NewFromConfig(cfg),
		sns:        sns.NewFromConfig(cfg),
		lambda:     lambda.NewFromConfig(cfg),
		logs:       cloudwatchlogs.NewFromConfig(cfg),
		cloudwatch: cloudwatch.NewFromConfig(cfg),
		iam:        iam.NewFromConfig(cfg),
		kms:        kms.NewFromConfig(cfg),
		sts:        sts.NewFromConfig(cfg),
		region:     cfg.Region,
	}
}

// Tagged returns one page of the resources of the region that carry every
// tag of filter, and the next page's token ("" after the last). The Tagging
// API lists no IAM roles or users, and resources that never had a tag; a
// resource deleted moments ago may still be listed.
func (a *AWS) Tagged(ctx context.Context, filter map[string]string, token string) ([]Resource, string, error) {
	in := &resourcegroupstaggingapi.GetResourcesInput{ResourcesPerPage: aws.Int32(100)}
	if token != "" {
		in.PaginationToken = aws.String(token)
	}
	for _, k := range slices.Sorted(maps.Keys(filter)) {
		in.TagFilters = append(in.TagFilters, taggingtypes.TagFilter{Key: aws.String(k), Values: []string{filter[k]}})
	}
	out, err := a.tagging.GetResources(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list tagged resources: %w", err)
	}
	var page []Resource
	for _, m := range out.ResourceTagMappingList {
		r := Resource{ARN: aws.ToString(m.ResourceARN), Tags: map[string]string{}}
		for _, t := range m.Tags {
			r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		page = append(page, r)
	}
	return page, aws.ToString(out.PaginationToken), nil
}

// Find returns the resource of the pulumi-aws type token typ with this
// physical name, when it exists. It returns ErrNoName for a type whose
// resources have no name.
func (a *AWS) Find(ctx context.Context, typ, name string) (Resource, bool, error) {
	found := func(arn *string, err error) (Resource, bool, error) {
		switch {
		case gone(err):
			return Resource{}, false, nil
		case err != nil:
			return Resource{}, false, fmt.Errorf("look up %s %s: %w", typ, name, err)
		}
		return Resource{ARN: strings.TrimSuffix(aws.ToString(arn), ":*")}, true, nil
	}
	switch typ {
	case "aws:dynamodb/table:Table":
		out, err := a.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return found(nil, err)
		}
		return found(out.Table.TableArn, nil)
	case "aws:sqs/queue:Queue":
		u, err := a.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
		if err != nil {
			return found(nil, err)
		}
		out, err := a.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return found(nil, err)
		}
		q := out.Attributes["QueueArn"]
		return found(&q, nil)
	case "aws:sns/topic:Topic":
		topic, err := a.arn(ctx, "sns", name)
		if err != nil {
			return Resource{}, false, err
		}
		_, err = a.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &topic})
		return found(&topic, err)
	case "aws:lambda/function:Function":
		out, err := a.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &name})
		if err != nil {
			return found(nil, err)
		}
		return found(out.Configuration.FunctionArn, nil)
	case "aws:cloudwatch/logGroup:LogGroup":
		out, err := a.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &name})
		if err != nil {
			return found(nil, err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return found(g.Arn, nil)
			}
		}
		return Resource{}, false, nil
	case "aws:iam/role:Role":
		out, err := a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
		if err != nil {
			return found(nil, err)
		}
		return found(out.Role.Arn, nil)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		out, err := a.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			return found(nil, err)
		}
		if len(out.MetricAlarms) == 0 {
			return Resource{}, false, nil
		}
		return found(out.MetricAlarms[0].AlarmArn, nil)
	case "aws:cloudwatch/dashboard:Dashboard":
		out, err := a.cloudwatch.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: &name})
		if err != nil {
			return found(nil, err)
		}
		return found(out.DashboardArn, nil)
	}
	return Resource{}, false, fmt.Errorf("look up %s %s: %w", typ, name, ErrNoName)
}

// arn is the ARN of a regional resource of this account.
func (a *AWS) arn(ctx context.Context, service, resource string) (string, error) {
	id, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("the account's id: %w", err)
	}
	caller, err := arn.Parse(aws.ToString(id.Arn))
	if err != nil {
		return "", fmt.Errorf("the account's partition: %w", err)
	}
	return arn.ARN{Partition: caller.Partition, Service: service, Region: a.region, AccountID: aws.ToString(id.Account), Resource: resource}.String(), nil
}

// tableWait bounds the wait for a table that is still being created, which
// DynamoDB refuses to delete.
const tableWait = 5 * time.Minute

// Delete deletes the resource and what only it holds (a role's policies). A
// resource already gone is no error; a KMS key is scheduled for deletion
// after AWS's shortest wait, 7 days.
func (a *AWS) Delete(ctx context.Context, r Resource) error {
	name := Name(r.ARN)
	var err error
	switch Kind(r.ARN) {
	case "dynamodb:table":
		// A table still being created (its create was cut short) cannot be
		// deleted until it is active.
		w := dynamodb.NewTableExistsWaiter(a.dynamodb)
		if err = w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, tableWait); err == nil || gone(err) {
			_, err = a.dynamodb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
		}
	case "sqs:queue":
		var u *sqs.GetQueueUrlOutput
		if u, err = a.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name}); err == nil {
			_, err = a.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: u.QueueUrl})
		}
	case "sns:topic":
		_, err = a.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: &r.ARN})
	case "lambda:function":
		_, err = a.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &name})
	case "lambda:event-source-mapping":
		_, err = a.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: &name})
	case "logs:log-group":
		_, err = a.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: &name})
	case "cloudwatch:alarm":
		_, err = a.cloudwatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
	case "cloudwatch:dashboard":
		_, err = a.cloudwatch.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{name}})
	case "iam:role":
		err = a.deleteRole(ctx, name)
	case "kms:key":
		_, err = a.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &r.ARN, PendingWindowInDays: aws.Int32(7)})
	default:
		return fmt.Errorf("delete %s: no delete for %q resources", r.ARN, Kind(r.ARN))
	}
	if err != nil && !gone(err) {
		return fmt.Errorf("delete %s: %w", r.ARN, err)
	}
	return nil
}

// deleteRole deletes a role's inline policies, detaches its managed ones,
// then the role: IAM refuses to delete a role that has any.
func (a *AWS) deleteRole(ctx context.Context, name string) error {
	inline := iam.NewListRolePoliciesPaginator(a.iam, &iam.ListRolePoliciesInput{RoleName: &name})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, p := range page.PolicyNames {
			if _, err := a.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &name, PolicyName: &p}); err != nil && !gone(err) {
				return err
			}
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(a.iam, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, p := range page.AttachedPolicies {
			if _, err := a.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &name, PolicyArn: p.PolicyArn}); err != nil && !gone(err) {
				return err
			}
		}
	}
	_, err := a.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &name})
	return err
}

// gone reports whether err says the resource does not exist (any more), or,
// for a KMS key, is already scheduled for deletion.
func gone(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ResourceNotFoundException", "ResourceNotFound", "NotFound", "NotFoundException", "NoSuchEntity",
		"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "ResourceNotFoundFault":
		return true
	case "KMSInvalidStateException":
		return strings.Contains(api.ErrorMessage(), "pending deletion")
	}
	return false
}
