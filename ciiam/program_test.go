package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/stack"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

const (
	typeRole       = "aws:iam/role:Role"
	typeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
	typePolicy     = "aws:iam/policy:Policy"
	typeOIDC       = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
)

var goodConfig = `{"aws:region":"eu-west-1","ciiam:repository":"acme/orderpipe","ciiam:owner":"b1e2c3","ciiam:stateBucket":"acme-pulumi-state"}`

func run(t *testing.T, config string) (*stacktest.Mocks, error) {
	t.Helper()
	t.Setenv("PULUMI_CONFIG", config)
	m := &stacktest.Mocks{Project: "orderpipe-ciiam", Stack: "ci"}
	err := pulumi.RunErr(program, pulumi.WithMocks("orderpipe-ciiam", "ci", m))
	return m, err
}

func get(t *testing.T, m *stacktest.Mocks, typ, name string) stacktest.Resource {
	t.Helper()
	r, ok := m.Get(typ, name)
	if !ok {
		t.Fatalf("no %s %s", typ, name)
	}
	return r
}

func doc(t *testing.T, r stacktest.Resource, key string) stack.PolicyDocument {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		t.Fatalf("%s has no %s: %v", r.Name, key, r.Inputs)
	}
	var d stack.PolicyDocument
	if err := json.Unmarshal([]byte(v.StringValue()), &d); err != nil {
		t.Fatalf("%s %s: %v", r.Name, key, err)
	}
	if d.Version != "2012-10-17" {
		t.Errorf("%s %s version %q", r.Name, key, d.Version)
	}
	return d
}

// Who may assume each role, in the condition keys GitHub's OIDC tokens and
// AWS's web identity federation define ("Configuring OpenID Connect in
// Amazon Web Services", GitHub docs): the audience sts.amazonaws.com, and
// the subject of a job in the environment (pull requests) or on the default
// branch (the sweep). A pull request's own subject, repo:O/R:pull_request,
// assumes neither.
func TestTrust(t *testing.T) {
	m, err := run(t, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	provider := get(t, m, typeOIDC, "GitHubOIDC")
	if u := provider.Inputs["url"].StringValue(); u != "https://token.actions.githubusercontent.com" {
		t.Errorf("OIDC provider url %q", u)
	}
	if c := provider.Inputs["clientIdLists"]; !c.IsArray() || len(c.ArrayValue()) != 1 || c.ArrayValue()[0].StringValue() != "sts.amazonaws.com" {
		t.Errorf("OIDC provider audiences %v", c)
	}
	// An account's existing provider (one per issuer) is used, not made.
	providerArn := "arn:aws:iam::" + stacktest.Account + ":oidc-provider/token.actions.githubusercontent.com"
	m, err = run(t, strings.Replace(goodConfig, "{", `{"ciiam:oidcProviderArn":"`+providerArn+`",`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, made := m.Get(typeOIDC, "GitHubOIDC"); made {
		t.Error("an OIDC provider was made beside the existing one")
	}
	for role, sub := range map[string]string{
		"DeployRole":  "repo:acme/orderpipe:environment:pull-request",
		"JanitorRole": "repo:acme/orderpipe:ref:refs/heads/main",
	} {
		d := doc(t, get(t, m, typeRole, role), "assumeRolePolicy")
		if len(d.Statement) != 1 {
			t.Fatalf("%s trust has %d statements", role, len(d.Statement))
		}
		st := d.Statement[0]
		want := map[string]string{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": sub}
		if st.Effect != "Allow" || !slices.Equal(st.Action, []string{"sts:AssumeRoleWithWebIdentity"}) ||
			st.Principal["Federated"] != providerArn || len(st.Condition) != 1 || !equalMaps(st.Condition["StringEquals"], want) {
			t.Errorf("%s trust %+v, want %s assumable by %s only", role, st, sub, providerArn)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The deploy role may create and change roles only with the boundary set
// (AWS's iam:PermissionsBoundary condition key, which CreateRole,
// PutRolePolicy, DeleteRolePolicy, AttachRolePolicy and DetachRolePolicy
// support), may pass roles to Lambda only (iam:PassedToService), may not
// remove the boundary from a role nor change the boundary policy, and grants
// no whole service or IAM wildcard.
func TestDeployRoleIsNotAdministrator(t *testing.T) {
	m, err := run(t, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	boundary := get(t, m, typePolicy, "LambdaBoundary")
	boundaryArn := boundary.Outputs["arn"].StringValue()
	d := doc(t, get(t, m, typeRolePolicy, "DeployRolePolicy"), "policy")
	boundaryBound := []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"}
	var denied []string
	for _, st := range d.Statement {
		if st.Effect == "Deny" {
			denied = append(denied, st.Action...)
			continue
		}
		for _, a := range st.Action {
			if a == "*" || strings.HasSuffix(a, ":*") || strings.HasPrefix(a, "iam:") && strings.Contains(a, "*") {
				t.Errorf("statement %s allows %s", st.Sid, a)
			}
			if slices.Contains(boundaryBound, a) && st.Condition["StringEquals"]["iam:PermissionsBoundary"] != boundaryArn {
				t.Errorf("statement %s allows %s without the boundary %s: %v", st.Sid, a, boundaryArn, st.Condition)
			}
			if a == "iam:PassRole" && (len(st.Condition) != 1 || !equalMaps(st.Condition["StringEquals"], map[string]string{"iam:PassedToService": "lambda.amazonaws.com"})) {
				t.Errorf("statement %s passes roles to more than Lambda: %v", st.Sid, st.Condition)
			}
		}
		checkStar(t, "deploy", st)
	}
	for _, a := range []string{"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} {
		if !slices.Contains(denied, a) {
			t.Errorf("the deploy role is not denied %s", a)
		}
	}
	for _, st := range doc(t, boundary, "policy").Statement {
		for _, a := range st.Action {
			if strings.HasPrefix(a, "iam:") || strings.Contains(a, "*") {
				t.Errorf("the boundary allows %s", a)
			}
		}
		checkStar(t, "boundary", st)
	}
	// The state bucket, under the S3 backend's prefix only.
	if !slices.ContainsFunc(d.Statement, func(st stack.Statement) bool {
		return slices.Equal(st.Resource, []string{"arn:aws:s3:::acme-pulumi-state/.pulumi/*"}) && slices.Contains(st.Action, "s3:PutObject")
	}) {
		t.Errorf("no access to the state: %+v", d.Statement)
	}
}

// checkStar fails a statement that grants "*" for more than the actions AWS
// authorizes on no resource, unless a tag or ARN condition narrows it.
func checkStar(t *testing.T, role string, st stack.Statement) {
	t.Helper()
	if !slices.Contains(st.Resource, "*") || len(st.Condition) > 0 {
		return
	}
	for _, a := range st.Action {
		if !slices.Contains(noResource, a) && !strings.HasPrefix(a, "xray:") {
			t.Errorf("%s statement %s allows %s on every resource", role, st.Sid, a)
		}
	}
}

// The janitor deletes only what is tagged orderpipe:ephemeral=true and
// orderpipe:owner=<its owner> (aws:ResourceTag/<key>); dashboards, which AWS
// lets no tag on, only by orderpipe's names; and it creates nothing.
func TestJanitorDeletesOnlyOwnedEphemeral(t *testing.T) {
	m, err := run(t, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	d := doc(t, get(t, m, typeRolePolicy, "JanitorRolePolicy"), "policy")
	want := map[string]string{"aws:ResourceTag/orderpipe:ephemeral": "true", "aws:ResourceTag/orderpipe:owner": "b1e2c3"}
	deletes := 0
	for _, st := range d.Statement {
		for _, a := range st.Action {
			_, verb, _ := strings.Cut(a, ":")
			switch {
			case strings.HasPrefix(verb, "Create") || strings.HasPrefix(verb, "Put") && a != "s3:PutObject" || strings.HasPrefix(verb, "Update") || a == "iam:PassRole":
				t.Errorf("the janitor may %s", a)
			case a == "cloudwatch:DeleteDashboards":
				if !slices.Equal(st.Resource, []string{"arn:aws:cloudwatch::" + stacktest.Account + ":dashboard/orderpipe-*"}) {
					t.Errorf("dashboards deletable beyond orderpipe's: %v", st.Resource)
				}
			case strings.HasPrefix(verb, "Delete") && a != "s3:DeleteObject" || a == "kms:ScheduleKeyDeletion":
				deletes++
				if len(st.Condition) != 1 || !equalMaps(st.Condition["StringEquals"], want) {
					t.Errorf("statement %s allows %s with condition %v, want %v", st.Sid, a, st.Condition, want)
				}
			}
		}
		checkStar(t, "janitor", st)
	}
	if deletes < 10 {
		t.Errorf("the janitor may delete %d kinds of resource; the sweep deletes tables, queues, topics, functions, mappings, log groups, alarms, roles and keys", deletes)
	}
}

// Bad configuration fails the program before anything is registered, each
// problem naming its key.
func TestConfigurationErrors(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		{`{"ciiam:owner":"x"}`, `ciiam:repository: must be the GitHub repository as OWNER/REPO, got ""`},
		{`{"ciiam:repository":"acme","ciiam:owner":"x"}`, `ciiam:repository: must be the GitHub repository as OWNER/REPO, got "acme"`},
		{`{"ciiam:repository":"acme/o","ciiam:owner":"x","ciiam:environment":"pr env"}`, `ciiam:environment: must be a GitHub environment name`},
		{`{"ciiam:repository":"acme/o"}`, `ciiam:owner: must be set`},
		{`{"ciiam:repository":"acme/o","ciiam:owner":"x","ciiam:stateBucket":"Bad_Bucket"}`, `ciiam:stateBucket: must be an S3 bucket name, got "Bad_Bucket"`},
	} {
		m, err := run(t, c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: error %v, want %q", c.config, err, c.want)
		}
		if n := len(m.Resources()); n != 0 {
			t.Errorf("config %s: %d resources registered", c.config, n)
		}
	}
}
