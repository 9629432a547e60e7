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
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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

	// wait is how long to wait between polls of a resource being created or
	// deleted, at first; it doubles up to maxWait. Zero: the SDK waiters'
	// defaults, and 1 s to 20 s elsewhere.
	wait, maxWait time.Duration
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
// physical name, when it exists, with its tags (empty when it has none; nil
// for a dashboard, which takes none, but whose body names what it shows),
// so that a caller can tell whose it is. It returns ErrNoName for a type
// whose resources have no name.
func (a *AWS) Find(ctx context.Context, typ, name string) (Resource, bool, error) {
	r, err := a.find(ctx, typ, name)
	switch {
	case gone(err):
		return Resource{}, false, nil
	case err != nil:
		return Resource{}, false, fmt.Errorf("look up %s %s: %w", typ, name, err)
	}
	r.ARN = strings.TrimSuffix(r.ARN, ":*")
	return r, r.ARN != "", nil
}

// find is Find, with an error of the SDK; a Resource without an ARN when
// the type's list holds none of the name.
func (a *AWS) find(ctx context.Context, typ, name string) (Resource, error) {
	switch typ {
	case "aws:dynamodb/table:Table":
		out, err := a.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return Resource{}, err
		}
		r := Resource{ARN: aws.ToString(out.Table.TableArn), Tags: map[string]string{}}
		for token := (*string)(nil); ; {
			tags, err := a.dynamodb.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: &r.ARN, NextToken: token})
			if err != nil {
				return Resource{}, err
			}
			for _, t := range tags.Tags {
				r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if token = tags.NextToken; token == nil {
				return r, nil
			}
		}
	case "aws:sqs/queue:Queue":
		u, err := a.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
		if err != nil {
			return Resource{}, err
		}
		out, err := a.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return Resource{}, err
		}
		tags, err := a.sqs.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: u.QueueUrl})
		if err != nil {
			return Resource{}, err
		}
		return Resource{ARN: out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], Tags: orEmpty(tags.Tags)}, nil
	case "aws:sns/topic:Topic":
		topic, err := a.arn(ctx, "sns", name)
		if err != nil {
			return Resource{}, err
		}
		if _, err = a.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &topic}); err != nil {
			return Resource{}, err
		}
		tags, err := a.sns.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: &topic})
		if err != nil {
			return Resource{}, err
		}
		r := Resource{ARN: topic, Tags: map[string]string{}}
		for _, t := range tags.Tags {
			r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return r, nil
	case "aws:lambda/function:Function":
		out, err := a.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &name})
		if err != nil {
			return Resource{}, err
		}
		return Resource{ARN: aws.ToString(out.Configuration.FunctionArn), Tags: orEmpty(out.Tags)}, nil
	case "aws:cloudwatch/logGroup:LogGroup":
		out, err := a.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &name})
		if err != nil {
			return Resource{}, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				arn := strings.TrimSuffix(aws.ToString(g.Arn), ":*")
				tags, err := a.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: &arn})
				if err != nil {
					return Resource{}, err
				}
				return Resource{ARN: arn, Tags: orEmpty(tags.Tags)}, nil
			}
		}
		return Resource{}, nil
	case "aws:iam/role:Role":
		out, err := a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
		if err != nil {
			return Resource{}, err
		}
		r := Resource{ARN: aws.ToString(out.Role.Arn), Tags: map[string]string{}}
		for _, t := range out.Role.Tags {
			r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return r, nil
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		out, err := a.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil || len(out.MetricAlarms) == 0 {
			return Resource{}, err
		}
		r := Resource{ARN: aws.ToString(out.MetricAlarms[0].AlarmArn), Tags: map[string]string{}}
		tags, err := a.cloudwatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: &r.ARN})
		if err != nil {
			return Resource{}, err
		}
		for _, t := range tags.Tags {
			r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return r, nil
	case "aws:cloudwatch/dashboard:Dashboard":
		out, err := a.cloudwatch.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: &name})
		if err != nil {
			return Resource{}, err
		}
		return Resource{ARN: aws.ToString(out.DashboardArn), Body: aws.ToString(out.DashboardBody)}, nil
	}
	return Resource{}, ErrNoName
}

// orEmpty is tags, or an empty map for none: the resource has no tags.
func orEmpty(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
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

// waitLimit bounds each wait for a resource that is being created or
// deleted: a table or an event source mapping takes seconds to minutes.
const waitLimit = 5 * time.Minute

// Delete deletes the resource and what only it holds (a role's policies and
// instance profiles), and returns once it is gone where its name may be
// used again at once (a table; a mapping, whose queue and function take one
// mapping). A resource already gone is no error and waits for nothing; a
// KMS key is scheduled for deletion after AWS's shortest wait, 7 days. A
// resource of another region than a's is refused (ErrOtherRegion): the
// deletes act on its name in a's region.
func (a *AWS) Delete(ctx context.Context, r Resource) error {
	if err := InRegion(r.ARN, a.region); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	name := Name(r.ARN)
	var err error
	switch Kind(r.ARN) {
	case "dynamodb:table":
		err = a.deleteTable(ctx, name)
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
		err = a.deleteMapping(ctx, name)
	case "logs:log-group":
		_, err = a.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: &name})
	case "cloudwatch:alarm":
		_, err = a.cloudwatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
	case "cloudwatch:dashboard":
		_, err = a.cloudwatch.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{name}})
	case "iam:role":
		err = a.deleteRole(ctx, name)
	case "kms:key":
		err = a.deleteKey(ctx, r.ARN)
	default:
		return fmt.Errorf("delete %s: no delete for %q resources", r.ARN, Kind(r.ARN))
	}
	if err != nil && !gone(err) {
		return fmt.Errorf("delete %s: %w", r.ARN, err)
	}
	return nil
}

// errTableGone ends the wait for a table to become active: it is gone.
var errTableGone = errors.New("the table is gone")

// deleteTable deletes a table and waits until it is gone: DeleteTable only
// starts the deletion, and the table's name cannot be used again while the
// table is DELETING (CreateTable: ResourceInUseException). A table still
// being created or updated refuses the delete (ResourceInUseException) until
// it is active.
func (a *AWS) deleteTable(ctx context.Context, name string) error {
	in := &dynamodb.DescribeTableInput{TableName: &name}
	for attempt := 0; ; attempt++ {
		_, err := a.dynamodb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
		if err == nil {
			break
		}
		if !isA[*dynamodbtypes.ResourceInUseException](err) || attempt == 3 {
			return err
		}
		active := dynamodb.NewTableExistsWaiter(a.dynamodb, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = a.delays(o.MinDelay, o.MaxDelay)
			// The SDK's waiter waits on through ResourceNotFoundException
			// (for a table about to be created): here the table is gone.
			o.Retryable = func(_ context.Context, _ *dynamodb.DescribeTableInput, out *dynamodb.DescribeTableOutput, err error) (bool, error) {
				switch {
				case isA[*dynamodbtypes.ResourceNotFoundException](err):
					return false, errTableGone
				case err != nil:
					return false, err
				}
				return out.Table.TableStatus != dynamodbtypes.TableStatusActive, nil
			}
		})
		if err := active.Wait(ctx, in, waitLimit); errors.Is(err, errTableGone) {
			return nil
		} else if err != nil {
			return fmt.Errorf("wait until the table can be deleted: %w", err)
		}
	}
	gone := dynamodb.NewTableNotExistsWaiter(a.dynamodb, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = a.delays(o.MinDelay, o.MaxDelay)
	})
	if err := gone.Wait(ctx, in, waitLimit); err != nil {
		return fmt.Errorf("wait until the table is gone: %w", err)
	}
	return nil
}

// deleteMapping deletes an event source mapping and waits until it is gone:
// Lambda refuses the delete (ResourceInUseException) while the mapping is
// Creating or Updating, keeps it Deleting for a while after, and allows one
// mapping per event source and function, so a new one waits for the old.
func (a *AWS) deleteMapping(ctx context.Context, uuid string) error {
	err := a.poll(ctx, func() (bool, error) {
		_, err := a.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: &uuid})
		if isA[*lambdatypes.ResourceInUseException](err) {
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return err
	}
	return a.poll(ctx, func() (bool, error) {
		_, err := a.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: &uuid})
		if gone(err) {
			return true, nil
		}
		return false, err
	})
}

// poll calls f, with a growing wait in between, until it is done or fails,
// for at most waitLimit.
func (a *AWS) poll(ctx context.Context, f func() (done bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	wait, maxWait := a.delays(time.Second, 20*time.Second)
	for {
		done, err := f()
		if done || err != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// delays are a's poll delays, or the defaults given.
func (a *AWS) delays(minDelay, maxDelay time.Duration) (time.Duration, time.Duration) {
	if a.wait > 0 {
		return a.wait, max(a.wait, a.maxWait)
	}
	return minDelay, maxDelay
}

// deleteKey schedules a KMS key's deletion; a key already pending deletion
// is gone (ScheduleKeyDeletion: KMSInvalidStateException).
func (a *AWS) deleteKey(ctx context.Context, key string) error {
	_, err := a.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &key, PendingWindowInDays: aws.Int32(7)})
	if !isA[*kmstypes.KMSInvalidStateException](err) {
		return err
	}
	out, derr := a.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &key})
	if derr == nil && out.KeyMetadata != nil &&
		(out.KeyMetadata.KeyState == kmstypes.KeyStatePendingDeletion || out.KeyMetadata.KeyState == kmstypes.KeyStatePendingReplicaDeletion) {
		return nil
	}
	return err
}

// deleteRole removes a role from its instance profiles, deletes its inline
// policies, detaches its managed ones, then deletes the role: IAM refuses
// (DeleteConflict) to delete a role that has any.
func (a *AWS) deleteRole(ctx context.Context, name string) error {
	profiles := iam.NewListInstanceProfilesForRolePaginator(a.iam, &iam.ListInstanceProfilesForRoleInput{RoleName: &name})
	for profiles.HasMorePages() {
		page, err := profiles.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, p := range page.InstanceProfiles {
			if _, err := a.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: &name, InstanceProfileName: p.InstanceProfileName}); err != nil && !gone(err) {
				return err
			}
		}
	}
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

// gone reports whether err is a service's typed error saying the resource
// does not exist (any more).
func gone(err error) bool {
	return err != nil && (isA[*dynamodbtypes.ResourceNotFoundException](err) ||
		isA[*sqstypes.QueueDoesNotExist](err) ||
		isA[*snstypes.NotFoundException](err) || isA[*snstypes.ResourceNotFoundException](err) ||
		isA[*lambdatypes.ResourceNotFoundException](err) ||
		isA[*logstypes.ResourceNotFoundException](err) ||
		isA[*cwtypes.ResourceNotFound](err) || isA[*cwtypes.ResourceNotFoundException](err) || isA[*cwtypes.DashboardNotFoundError](err) ||
		isA[*iamtypes.NoSuchEntityException](err) ||
		isA[*kmstypes.NotFoundException](err))
}

// isA says whether err is, or wraps, an error of type T.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
