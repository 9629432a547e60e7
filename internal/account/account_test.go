package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

func TestARNs(t *testing.T) {
	for _, c := range []struct{ arn, kind, name string }{
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/orderpipe-pr-1-x-Orders", "dynamodb:table", "orderpipe-pr-1-x-Orders"},
		{"arn:aws:sqs:eu-west-1:123456789012:orderpipe-pr-1-x-OrderQueue", "sqs:queue", "orderpipe-pr-1-x-OrderQueue"},
		{"arn:aws:sns:eu-west-1:123456789012:orderpipe-pr-1-x-OrderTopic", "sns:topic", "orderpipe-pr-1-x-OrderTopic"},
		{"arn:aws:sns:eu-west-1:123456789012:t:0f1e2d3c-4b5a", "sns:subscription", "0f1e2d3c-4b5a"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:orderpipe-pr-1-x-ProcessOrderLambda", "lambda:function", "orderpipe-pr-1-x-ProcessOrderLambda"},
		{"arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:a1b2c3d4-0000", "lambda:event-source-mapping", "a1b2c3d4-0000"},
		{"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orderpipe-pr-1-x-ProcessOrderLambda:*", "logs:log-group", "/aws/lambda/orderpipe-pr-1-x-ProcessOrderLambda"},
		{"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f", "logs:log-group", "/aws/lambda/f"},
		{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orderpipe-pr-1-x-DLQNotEmpty", "cloudwatch:alarm", "orderpipe-pr-1-x-DLQNotEmpty"},
		{"arn:aws:cloudwatch::123456789012:dashboard/orderpipe-pr-1-x-eu-west-1-Overview", "cloudwatch:dashboard", "orderpipe-pr-1-x-eu-west-1-Overview"},
		{"arn:aws:iam::123456789012:role/service/orderpipe-pr-1-x-eu-west-1-Role", "iam:role", "orderpipe-pr-1-x-eu-west-1-Role"},
		{"arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978", "kms:key", "0f1e2d3c-4b5a-6978"},
		{"not-an-arn", "", ""},
	} {
		if k, n := Kind(c.arn), Name(c.arn); k != c.kind || n != c.name {
			t.Errorf("%s: kind %q name %q, want %q %q", c.arn, k, n, c.kind, c.name)
		}
	}
}

// Not-found is decided by each service's typed error, as the SDK returns
// it; an error that only carries a code string is not trusted (a code that
// reads like not-found may come from another resource of the call).
func TestGone(t *testing.T) {
	for _, c := range []struct {
		err  error
		gone bool
	}{
		{&dynamodbtypes.ResourceNotFoundException{}, true},
		{&sqstypes.QueueDoesNotExist{}, true},
		{&snstypes.NotFoundException{}, true},
		{&lambdatypes.ResourceNotFoundException{}, true},
		{&logstypes.ResourceNotFoundException{}, true},
		{&cwtypes.ResourceNotFound{}, true},
		{&cwtypes.DashboardNotFoundError{}, true},
		{&iamtypes.NoSuchEntityException{}, true},
		{&kmstypes.NotFoundException{}, true},
		{fmt.Errorf("delete: %w", &iamtypes.NoSuchEntityException{}), true},
		{&dynamodbtypes.ResourceInUseException{}, false},
		{&lambdatypes.ResourceInUseException{}, false},
		{&iamtypes.DeleteConflictException{}, false},
		{&kmstypes.KMSInvalidStateException{}, false},
		{&smithy.GenericAPIError{Code: "ResourceNotFoundException"}, false},
		{&smithy.GenericAPIError{Code: "AccessDenied"}, false},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := gone(c.err); got != c.gone {
			t.Errorf("gone(%T %v) = %v", c.err, c.err, got)
		}
	}
}

// taggingAPI answers GetResources as the Resource Groups Tagging API does
// (JSON 1.1 protocol, tag filters, PaginationToken; "" after the last
// page), pageSize resources a page.
type taggingAPI struct {
	resources []taggedResource
	pageSize  int
	filters   [][]tagFilter // each request's
}

type taggedResource struct {
	ResourceARN string
	Tags        []struct{ Key, Value string }
}

type tagFilter struct {
	Key    string
	Values []string
}

func (s *taggingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "ResourceGroupsTaggingAPI_20170126.GetResources" {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	var in struct {
		PaginationToken string
		TagFilters      []tagFilter
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"__type":"InvalidParameterException"}`, http.StatusBadRequest)
		return
	}
	s.filters = append(s.filters, in.TagFilters)
	var match []taggedResource
	for _, res := range s.resources {
		ok := true
		for _, f := range in.TagFilters {
			ok = ok && slices.ContainsFunc(res.Tags, func(t struct{ Key, Value string }) bool {
				return t.Key == f.Key && slices.Contains(f.Values, t.Value)
			})
		}
		if ok {
			match = append(match, res)
		}
	}
	start, _ := strconv.Atoi(in.PaginationToken)
	end := min(start+s.pageSize, len(match))
	next := ""
	if end < len(match) {
		next = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"PaginationToken": next, "ResourceTagMappingList": match[start:end]})
}

func resource(arn string, tags ...string) taggedResource {
	r := taggedResource{ResourceARN: arn}
	for i := 0; i+1 < len(tags); i += 2 {
		r.Tags = append(r.Tags, struct{ Key, Value string }{tags[i], tags[i+1]})
	}
	return r
}

// The real client's Tagged, against a server that speaks the Tagging API:
// filters sent as tag filters, pages followed to the end, tags read back.
func TestTaggedPagesThroughTheTaggingAPI(t *testing.T) {
	api := &taggingAPI{pageSize: 2}
	var want []string
	for i, kind := range []string{"dynamodb:%s:table/t%d", "sqs:%s:q%d", "sns:%s:t%d", "lambda:%s:function:f%d", "kms:%s:key/k%d"} {
		arn := fmt.Sprintf("arn:aws:"+kind, "eu-west-1:123456789012", i)
		api.resources = append(api.resources, resource(arn, "orderpipe:ephemeral", "true", "stack", "pr-1-x"))
		want = append(want, arn)
	}
	api.resources = append(api.resources, resource("arn:aws:sqs:eu-west-1:123456789012:other", "stack", "dev"))
	srv := httptest.NewServer(api)
	defer srv.Close()
	a := NewAWS(aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1})

	var got []string
	pages := 0
	for token := ""; ; {
		page, next, err := a.Tagged(context.Background(), map[string]string{"orderpipe:ephemeral": "true", "stack": "pr-1-x"}, token)
		if err != nil {
			t.Fatal(err)
		}
		if pages++; pages > 10 {
			t.Fatal("the pages do not end: the token is not followed")
		}
		for _, r := range page {
			got = append(got, r.ARN)
			if r.Tags["stack"] != "pr-1-x" {
				t.Errorf("%s: tags %v", r.ARN, r.Tags)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("got %v in %d pages, want %v in 3", got, pages, want)
	}
	if f := api.filters[0]; len(f) != 2 || f[0].Key != "orderpipe:ephemeral" || f[1].Key != "stack" || f[1].Values[0] != "pr-1-x" {
		t.Errorf("tag filters sent: %+v", f)
	}
}
