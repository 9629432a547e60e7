package main

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
)

// The GitHub Actions OIDC issuer and the audience configure-aws-credentials
// asks for.
const (
	githubIssuer   = "token.actions.githubusercontent.com"
	githubAudience = "sts.amazonaws.com"
)

// githubThumbprints are the certificate thumbprints GitHub published for its
// OIDC issuer; AWS verifies this issuer through its own trusted CAs and
// ignores them, but the API still wants at least one.
var githubThumbprints = []string{"6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"}

// The tags the janitor may delete by: every resource of an ephemeral
// environment carries them (automation.TagEphemeral, and the owner of the
// backend that made it).
const (
	tagEphemeral = "orderpipe:ephemeral"
	tagOwner     = "orderpipe:owner"
)

// settings is the program's configuration (namespace ciiam).
type settings struct {
	Repository    string // OWNER/REPO
	Environment   string // the GitHub environment of the pull-request jobs
	DefaultBranch string
	Owner         string // the orderpipe:owner tag of the environments the janitor removes
	StateBucket   string // the S3 bucket of the Pulumi backend, if it is one
	// OIDCProviderArn is an existing GitHub OIDC provider of the account
	// (there is at most one per issuer); empty: the program creates it.
	OIDCProviderArn string
}

var (
	repoPattern   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	branchPattern = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

func readSettings(ctx *pulumi.Context) (settings, error) {
	get := func(key string) string { v, _ := ctx.GetConfig("ciiam:" + key); return v }
	s := settings{
		Repository: get("repository"), Environment: get("environment"), DefaultBranch: get("defaultBranch"),
		Owner: get("owner"), StateBucket: get("stateBucket"), OIDCProviderArn: get("oidcProviderArn"),
	}
	if s.Environment == "" {
		s.Environment = "pull-request"
	}
	if s.DefaultBranch == "" {
		s.DefaultBranch = "main"
	}
	var problems []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	check(repoPattern.MatchString(s.Repository), "ciiam:repository: must be the GitHub repository as OWNER/REPO, got %q", s.Repository)
	check(namePattern.MatchString(s.Environment), "ciiam:environment: must be a GitHub environment name (letters, digits, '_', '.', '-'), got %q", s.Environment)
	check(branchPattern.MatchString(s.DefaultBranch), "ciiam:defaultBranch: must be a branch name, got %q", s.DefaultBranch)
	check(s.Owner != "", "ciiam:owner: must be set: the orderpipe:owner tag value of the environments the janitor may delete")
	check(s.StateBucket == "" || bucketPattern.MatchString(s.StateBucket), "ciiam:stateBucket: must be an S3 bucket name, got %q", s.StateBucket)
	if len(problems) > 0 {
		return s, fmt.Errorf("configuration: %v", problems)
	}
	return s, nil
}

func program(ctx *pulumi.Context) error {
	s, err := readSettings(ctx)
	if err != nil {
		return err
	}
	id, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("the account: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return fmt.Errorf("the partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("the region: %w", err)
	}
	a := arns{partition: part.Partition, account: id.AccountId}
	names := spec.Namer{Project: ctx.Project(), Stack: ctx.Stack()}
	name := func(logical string) string { return names.Global(spec.IAMRole, region.Name, logical) }

	providerArn := pulumi.String(s.OIDCProviderArn).ToStringOutput()
	if s.OIDCProviderArn == "" {
		provider, err := iam.NewOpenIdConnectProvider(ctx, "GitHubOIDC", &iam.OpenIdConnectProviderArgs{
			Url:             pulumi.String("https://" + githubIssuer),
			ClientIdLists:   pulumi.ToStringArray([]string{githubAudience}),
			ThumbprintLists: pulumi.ToStringArray(githubThumbprints),
		})
		if err != nil {
			return err
		}
		providerArn = provider.Arn
	}

	boundaryName := name("ci-boundary")
	boundaryArn := a.iam("policy/" + boundaryName)
	boundary, err := iam.NewPolicy(ctx, "LambdaBoundary", &iam.PolicyArgs{
		Name:        pulumi.String(boundaryName),
		Description: pulumi.String("The most any role an orderpipe pull-request environment creates may be granted"),
		Policy:      pulumi.String(boundaryPolicy(a).String()),
	})
	if err != nil {
		return err
	}

	deploy, err := githubRole(ctx, "DeployRole", name("ci-deploy"), providerArn, fmt.Sprintf("repo:%s:environment:%s", s.Repository, s.Environment))
	if err != nil {
		return err
	}
	if _, err := iam.NewRolePolicy(ctx, "DeployRolePolicy", &iam.RolePolicyArgs{
		Role:   deploy.Name,
		Policy: pulumi.String(deployPolicy(a, boundaryArn, s.StateBucket).String()),
	}, pulumi.DependsOn([]pulumi.Resource{boundary})); err != nil {
		return err
	}

	janitor, err := githubRole(ctx, "JanitorRole", name("ci-janitor"), providerArn, fmt.Sprintf("repo:%s:ref:refs/heads/%s", s.Repository, s.DefaultBranch))
	if err != nil {
		return err
	}
	if _, err := iam.NewRolePolicy(ctx, "JanitorRolePolicy", &iam.RolePolicyArgs{
		Role:   janitor.Name,
		Policy: pulumi.String(janitorPolicy(a, s.Owner, s.StateBucket).String()),
	}); err != nil {
		return err
	}

	ctx.Export("deployRoleArn", deploy.Arn)
	ctx.Export("janitorRoleArn", janitor.Arn)
	ctx.Export("permissionsBoundaryArn", boundary.Arn)
	ctx.Export("oidcProviderArn", providerArn)
	return nil
}

// githubRole is a role that only GitHub Actions jobs whose OIDC subject is
// sub may assume, with the audience configure-aws-credentials asks for.
func githubRole(ctx *pulumi.Context, logical, name string, provider pulumi.StringOutput, sub string) (*iam.Role, error) {
	trust := provider.ApplyT(func(arn string) (string, error) {
		return document(stack.Statement{
			Sid: "GitHubActions", Effect: "Allow", Action: []string{"sts:AssumeRoleWithWebIdentity"},
			Principal: map[string]string{"Federated": arn},
			Condition: map[string]map[string]string{"StringEquals": {
				githubIssuer + ":aud": githubAudience,
				githubIssuer + ":sub": sub,
			}},
		}).String(), nil
	}).(pulumi.StringOutput)
	return iam.NewRole(ctx, logical, &iam.RoleArgs{
		Name:               pulumi.String(name),
		AssumeRolePolicy:   trust,
		MaxSessionDuration: pulumi.Int(2 * 3600),
	})
}

// document is a policy document of statements, in IAM's current version.
func document(statements ...stack.Statement) stack.PolicyDocument {
	return stack.PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// arns builds the ARNs of orderpipe's resources in the account: every
// physical name an orderpipe stack gives starts with the project,
// "orderpipe-" (spec.Namer).
type arns struct{ partition, account string }

func (a arns) regional(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:*:%s:%s", a.partition, service, a.account, resource)
}
func (a arns) iam(resource string) string {
	return fmt.Sprintf("arn:%s:iam::%s:%s", a.partition, a.account, resource)
}

func (a arns) tables() string    { return a.regional("dynamodb", "table/orderpipe-*") }
func (a arns) queues() string    { return a.regional("sqs", "orderpipe-*") }
func (a arns) topics() string    { return a.regional("sns", "orderpipe-*") }
func (a arns) functions() string { return a.regional("lambda", "function:orderpipe-*") }
func (a arns) mappings() string  { return a.regional("lambda", "event-source-mapping:*") }
func (a arns) logGroups() []string {
	return []string{a.regional("logs", "log-group:/aws/lambda/orderpipe-*"), a.regional("logs", "log-group:orderpipe-*")}
}
func (a arns) alarms() string { return a.regional("cloudwatch", "alarm:orderpipe-*") }
func (a arns) dashboards() string {
	return fmt.Sprintf("arn:%s:cloudwatch::%s:dashboard/orderpipe-*", a.partition, a.account)
}
func (a arns) roles() string { return a.iam("role/orderpipe-*") }

// noResource are the actions AWS authorizes on no resource (the Service
// Authorization Reference lists no resource type for them): they can only
// be granted on "*", and are conditioned where AWS offers a key.
var noResource = []string{"tag:GetResources", "sts:GetCallerIdentity", "kms:CreateKey", "lambda:CreateEventSourceMapping"}

// ephemeral is the condition that a resource's tags make it an ephemeral
// environment's.
func ephemeral(key string) map[string]map[string]string {
	return map[string]map[string]string{"StringEquals": {key + "/" + tagEphemeral: "true"}}
}

// stateStatements let a role read and write the Pulumi state in bucket (the
// S3 backend keeps it under .pulumi/).
func stateStatements(a arns, bucket string) []stack.Statement {
	if bucket == "" {
		return nil
	}
	b := fmt.Sprintf("arn:%s:s3:::%s", a.partition, bucket)
	return []stack.Statement{
		{Sid: "ListState", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{b}},
		{Sid: "State", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, Resource: []string{b + "/.pulumi/*"}},
	}
}

// deployPolicy is what a pull request's jobs need to preview, update,
// destroy and recover its environment. The roles it creates must carry the
// boundary, and it passes roles to Lambda only: without both, creating a
// role and passing it would be administrator access.
func deployPolicy(a arns, boundaryArn, bucket string) stack.PolicyDocument {
	st := []stack.Statement{
		{Sid: "Tables", Effect: "Allow", Resource: []string{a.tables()}, Action: []string{
			"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
			"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive",
			"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"}},
		{Sid: "Queues", Effect: "Allow", Resource: []string{a.queues()}, Action: []string{
			"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl",
			"sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"}},
		{Sid: "Topics", Effect: "Allow", Resource: []string{a.topics()}, Action: []string{
			"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
			"sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
			"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"}},
		{Sid: "Functions", Effect: "Allow", Resource: []string{a.functions()}, Action: []string{
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
			"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:ListVersionsByFunction",
			"lambda:PublishVersion", "lambda:CreateAlias", "lambda:DeleteAlias", "lambda:GetAlias", "lambda:UpdateAlias",
			"lambda:GetFunctionCodeSigningConfig", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"}},
		{Sid: "Mappings", Effect: "Allow", Resource: []string{a.mappings()}, Action: []string{
			"lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"}},
		{Sid: "MappingsOfOurFunctions", Effect: "Allow", Resource: []string{"*"}, Action: []string{"lambda:CreateEventSourceMapping"},
			Condition: map[string]map[string]string{"ArnLike": {"lambda:FunctionArn": a.functions()}}},
		{Sid: "Logs", Effect: "Allow", Resource: a.logGroups(), Action: []string{
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy",
			"logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"}},
		{Sid: "Alarms", Effect: "Allow", Resource: []string{a.alarms()}, Action: []string{
			"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"}},
		{Sid: "Dashboards", Effect: "Allow", Resource: []string{a.dashboards()}, Action: []string{
			"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"}},
		{Sid: "CreateEphemeralKeys", Effect: "Allow", Resource: []string{"*"}, Action: []string{"kms:CreateKey", "kms:TagResource"},
			Condition: ephemeral("aws:RequestTag")},
		{Sid: "EphemeralKeys", Effect: "Allow", Resource: []string{"*"}, Condition: ephemeral("aws:ResourceTag"), Action: []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus",
			"kms:ListResourceTags", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:Decrypt", "kms:GenerateDataKey"}},
		{Sid: "RolesOnlyUnderTheBoundary", Effect: "Allow", Resource: []string{a.roles()}, Action: []string{
			"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			Condition: map[string]map[string]string{"StringEquals": {"iam:PermissionsBoundary": boundaryArn}}},
		{Sid: "Roles", Effect: "Allow", Resource: []string{a.roles()}, Action: []string{
			"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			"iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole", "iam:DeleteRole"}},
		{Sid: "PassRolesToLambdaOnly", Effect: "Allow", Resource: []string{a.roles()}, Action: []string{"iam:PassRole"},
			Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
		{Sid: "FindWhatRunsLeft", Effect: "Allow", Resource: []string{"*"}, Action: []string{"tag:GetResources", "sts:GetCallerIdentity"}},
		{Sid: "KeepTheBoundary", Effect: "Deny", Resource: []string{a.roles()}, Action: []string{
			"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"}},
		{Sid: "LeaveTheBoundaryAlone", Effect: "Deny", Resource: []string{boundaryArn}, Action: []string{
			"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"}},
	}
	return document(append(st, stateStatements(a, bucket)...)...)
}

// boundaryPolicy is the most a role of an environment may do: what the
// order function needs, on orderpipe's resources.
func boundaryPolicy(a arns) stack.PolicyDocument {
	return document([]stack.Statement{
		{Sid: "Queues", Effect: "Allow", Resource: []string{a.queues()}, Action: []string{
			"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:SendMessage"}},
		{Sid: "Tables", Effect: "Allow", Resource: []string{a.tables()}, Action: []string{
			"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}},
		{Sid: "Logs", Effect: "Allow", Resource: []string{a.regional("logs", "log-group:/aws/lambda/orderpipe-*:*")}, Action: []string{
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
		{Sid: "Traces", Effect: "Allow", Resource: []string{"*"}, Action: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}},
		{Sid: "EphemeralKeys", Effect: "Allow", Resource: []string{"*"}, Action: []string{"kms:Decrypt", "kms:GenerateDataKey"},
			Condition: ephemeral("aws:ResourceTag")},
	}...)
}

// janitorPolicy is what the nightly sweep needs: to read orderpipe's
// resources, and to delete only those tagged as this owner's ephemeral
// environments' (dashboards take no tags: they are deleted by name).
func janitorPolicy(a arns, owner, bucket string) stack.PolicyDocument {
	owned := map[string]map[string]string{"StringEquals": {
		"aws:ResourceTag/" + tagEphemeral: "true",
		"aws:ResourceTag/" + tagOwner:     owner,
	}}
	st := []stack.Statement{
		{Sid: "Find", Effect: "Allow", Resource: []string{"*"}, Action: []string{"tag:GetResources", "sts:GetCallerIdentity"}},
		{Sid: "Read", Effect: "Allow", Action: []string{
			"dynamodb:DescribeTable", "dynamodb:ListTagsOfResource", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags",
			"sns:GetTopicAttributes", "sns:ListTagsForResource", "lambda:GetFunction", "lambda:ListTags", "lambda:GetEventSourceMapping",
			"logs:DescribeLogGroups", "logs:ListTagsForResource", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard",
			"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"},
			Resource: append([]string{a.tables(), a.queues(), a.topics(), a.functions(), a.mappings(), a.alarms(), a.dashboards(), a.roles()}, a.logGroups()...)},
		{Sid: "DeleteOnlyOwnedEphemeral", Effect: "Allow", Condition: owned, Action: []string{
			"dynamodb:DeleteTable", "sqs:DeleteQueue", "sns:DeleteTopic", "lambda:DeleteFunction", "lambda:DeleteEventSourceMapping",
			"logs:DeleteLogGroup", "cloudwatch:DeleteAlarms", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy"},
			Resource: append([]string{a.tables(), a.queues(), a.topics(), a.functions(), a.mappings(), a.alarms(), a.roles()}, a.logGroups()...)},
		{Sid: "DeleteOnlyOwnedEphemeralKeys", Effect: "Allow", Condition: owned, Resource: []string{"*"},
			Action: []string{"kms:DescribeKey", "kms:ScheduleKeyDeletion"}},
		{Sid: "Subscriptions", Effect: "Allow", Resource: []string{a.topics()}, Action: []string{"sns:Unsubscribe"}},
		{Sid: "DashboardsByName", Effect: "Allow", Resource: []string{a.dashboards()}, Action: []string{"cloudwatch:DeleteDashboards"}},
	}
	return document(append(st, stateStatements(a, bucket)...)...)
}
