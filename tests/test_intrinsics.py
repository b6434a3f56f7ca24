"""CloudFormation templates read locally: short-form tags, intrinsics resolved only where read,
synthesised ids and ARNs, and every mistake a ConfigError at its key path and line."""

from __future__ import annotations

import base64
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_apistages.errors import ConfigError
from pytest_apistages.sources.template import Template, key_lines, read_template

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "corpus"
SOURCE = "template.yaml"


def load(text: str, **options: Any) -> Template:
    data, lines = read_template(textwrap.dedent(text).lstrip("\n"), SOURCE)
    return Template(data, SOURCE, lines=lines, **options)


def prop(template: Template, logical_id: str, key: str) -> Any:
    """A resource property, resolved as the gateway reads it."""
    value = template.resources[logical_id]["Properties"][key]
    return template.resolve(value, f"Resources.{logical_id}.Properties.{key}")


def value_of(text: str, **options: Any) -> Any:
    """`Resources.R.Properties.V` of a template whose resources are given as `text`."""
    resources = textwrap.indent(textwrap.dedent(text).lstrip("\n"), "  ")
    template = load("Resources:\n" + resources, **options)
    return prop(template, "R", "V")


def refused(text: str, **options: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        value_of(text, **options)
    return info.value


# -- reading ---------------------------------------------------------------------------------


def test_short_form_tags_become_the_long_form() -> None:
    data, _ = read_template(
        textwrap.dedent(
            """
            A: !Ref Stage
            B: !GetAtt Api.RootResourceId
            C: !GetAtt [Api, RootResourceId]
            D: !GetAtt Db.Endpoint.Address
            E: !Sub "${AWS::Region}"
            F: !Sub ["${x}", {x: !Ref Stage}]
            G: !Join ["", [a, !Select [0, !Split [",", "b,c"]]]]
            H: !If [IsProd, !Base64 text, !Ref AWS::NoValue]
            I: !Equals [!Ref Stage, prod]
            J: !And [!Or [!Condition A, !Not [!Condition B]], !Condition C]
            K: !FindInMap [Map, !Ref AWS::Region, Key]
            L: !ImportValue {"Fn::Sub": "${AWS::StackName}-x"}
            M: !GetAZs ""
            N: !Cidr [10.0.0.0/16, 2, 8]
            O: !Transform {Name: AWS::Include, Parameters: {Location: x.yaml}}
            """
        ),
        SOURCE,
    )
    assert data == {
        "A": {"Ref": "Stage"},
        "B": {"Fn::GetAtt": ["Api", "RootResourceId"]},
        "C": {"Fn::GetAtt": ["Api", "RootResourceId"]},
        "D": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
        "E": {"Fn::Sub": "${AWS::Region}"},
        "F": {"Fn::Sub": ["${x}", {"x": {"Ref": "Stage"}}]},
        "G": {"Fn::Join": ["", ["a", {"Fn::Select": [0, {"Fn::Split": [",", "b,c"]}]}]]},
        "H": {"Fn::If": ["IsProd", {"Fn::Base64": "text"}, {"Ref": "AWS::NoValue"}]},
        "I": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "J": {
            "Fn::And": [
                {"Fn::Or": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
                {"Condition": "C"},
            ]
        },
        "K": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
        "L": {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-x"}},
        "M": {"Fn::GetAZs": ""},
        "N": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
        "O": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "x.yaml"}}},
    }


def test_dates_stay_text_as_cloudformation_reads_them() -> None:
    data, _ = read_template("AWSTemplateFormatVersion: 2010-09-09\nVersion: 2012-10-17\n", SOURCE)
    assert data == {"AWSTemplateFormatVersion": "2010-09-09", "Version": "2012-10-17"}


def test_json_templates_even_indented_with_tabs() -> None:
    text = '{\n\t"Resources": {\n\t\t"Q": {"Type": "AWS::SQS::Queue"}\n\t}\n}\n'
    data, lines = read_template(text, "template.json")
    assert data == {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    assert lines == {"Resources": 2, "Resources.Q": 3, "Resources.Q.Type": 3}


def test_unknown_tag_is_refused_at_its_line() -> None:
    with pytest.raises(ConfigError) as info:
        read_template("Resources:\n  F:\n    Code: !Rain::Embed handler.py\n", SOURCE)
    assert str(info.value) == (
        "template.yaml: line 3, column 11: unknown tag '!Rain::Embed' (CloudFormation's tags "
        "are !Ref, !Condition, !And, !Base64, !Cidr, !Equals, !FindInMap, !GetAZs, !GetAtt, "
        "!If, !ImportValue, !Join, !Not, !Or, !Select, !Split, !Sub, !Transform; expand any "
        "other with its own tool)"
    )
    assert info.value.line == 3  # type: ignore[attr-defined]


def test_python_tags_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"line 1, column 4: unknown tag '!!python/object:os"):
        read_template("A: !!python/object:os.system {}\n", SOURCE)


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        read_template("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", SOURCE)
    assert str(info.value) == (
        "template.yaml: line 3, column 3: duplicate key 'A' (first given on line 2) "
        "(YAML would keep only the last one; merge them)"
    )


TEMPLATE_FIX = "(a template is a mapping of sections: Parameters, Resources, …)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", f"template.yaml: the template is empty {TEMPLATE_FIX}", id="empty"),
        pytest.param("- a\n", f"template.yaml: got list ['a'] {TEMPLATE_FIX}", id="list"),
        pytest.param(
            "A: [\n",
            "template.yaml: line 2, column 1: invalid YAML: expected the node content, but "
            "found '<stream end>' (fix the syntax there)",
            id="broken",
        ),
        pytest.param(
            "A: " + "[" * 70 + "]" * 70,
            "template.yaml: line 1, column 67: invalid YAML: nesting deeper than 64 levels "
            "(fix the syntax there)",
            id="deep",
        ),
    ],
)
def test_what_is_not_a_template(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        read_template(text, SOURCE)
    assert str(info.value) == message


def test_key_lines_name_keys_as_node_paths_do() -> None:
    text = textwrap.dedent(
        """
        Resources:
          Api:
            Properties:
              Body:
                paths:
                  /pets:
                    get: !Ref X
        stages:
          prod:
            variables: {a: 1}
        list:
          - first
          - {name: second}
        base: &base {k: 1}
        merged:
          <<: *base
          own: 2
        """
    )
    assert key_lines(text) == {
        "Resources": 2,
        "Resources.Api": 3,
        "Resources.Api.Properties": 4,
        "Resources.Api.Properties.Body": 5,
        "Resources.Api.Properties.Body.paths": 6,
        "Resources.Api.Properties.Body.paths./pets": 7,
        "Resources.Api.Properties.Body.paths./pets.get": 8,
        "stages": 9,
        "stages.prod": 10,
        "stages.prod.variables": 11,
        "stages.prod.variables.a": 11,
        "list": 12,
        "list[0]": 13,
        "list[1]": 14,
        "list[1].name": 14,
        "base": 15,
        "base.k": 15,
        "merged": 16,
        "merged.own": 18,
    }


def test_key_lines_of_broken_or_exploding_yaml() -> None:
    assert key_lines("a: [\n") == {}
    assert key_lines("a: " + "[" * 100 + "]" * 100) == {}
    laughs = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    assert len(key_lines(laughs)) < 100  # an alias is walked once, never expanded


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(
                [
                    "a:",
                    " b:",
                    "  - ",
                    "!Ref x",
                    "!GetAtt a.b",
                    "!Sub",
                    "!If [c, 1, 2]",
                    "!Rain::Embed f",
                    "!!python/object:os.system",
                    "&x",
                    "*x",
                    "<<: *x",
                    "[",
                    "]",
                    "{",
                    "}",
                    ",",
                    "\n",
                    "  ",
                    "\t",
                    '"',
                    "'",
                    "#",
                    ":",
                    "- ",
                    "? ",
                    "!!int x",
                    "!!binary",
                    "2020-01-01",
                    "%YAML 1.1\n",
                    "---\n",
                    "\ufeff",
                ]
            ),
            max_size=30,
        ).map("".join),
    )
)
def test_any_text_is_a_template_or_a_config_error(text: str) -> None:
    try:
        data, lines = read_template(text, SOURCE)
    except ConfigError:
        return
    assert isinstance(data, dict)
    assert all(isinstance(line, int) for line in lines.values())


# -- parameters ------------------------------------------------------------------------------

PARAMETERS = """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Count: {Type: Number, Default: 3}
  Names: {Type: CommaDelimitedList, Default: "a,b, c"}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
  NoDefault: {Type: String}
Resources:
  R:
    Type: AWS::SQS::Queue
    Properties:
      Stage: !Ref Stage
      Count: !Ref Count
      Names: !Ref Names
      Subnets: !Ref Subnets
      NoDefault: !Ref NoDefault
"""


def test_parameters_give_their_default() -> None:
    template = load(PARAMETERS)
    assert prop(template, "R", "Stage") == "dev"
    assert prop(template, "R", "Count") == "3"  # a Number is passed on as text
    assert prop(template, "R", "Names") == ["a", "b", " c"]


def test_parameters_given_override_the_default() -> None:
    template = load(
        PARAMETERS,
        parameters={"Stage": "prod", "Count": 5, "Names": ["x", 1], "Subnets": "s-1,s-2"},
    )
    assert prop(template, "R", "Stage") == "prod"
    assert prop(template, "R", "Count") == "5"
    assert prop(template, "R", "Names") == ["x", "1"]
    assert prop(template, "R", "Subnets") == ["s-1", "s-2"]


def test_a_parameter_without_default_is_an_error_only_where_used() -> None:
    template = load(PARAMETERS)
    assert prop(template, "R", "Stage") == "dev"
    with pytest.raises(ConfigError) as info:
        prop(template, "R", "NoDefault")
    assert str(info.value) == (
        "template.yaml:15: Resources.R.Properties.NoDefault.Ref: parameter 'NoDefault' has no "
        "Default and no value was given (give it a Default, or pass "
        "parameters={'NoDefault': ...} (parameters: in apistages.yaml))"
    )
    assert info.value.key == "Resources.R.Properties.NoDefault.Ref"
    assert info.value.line == 15  # type: ignore[attr-defined]


def test_a_value_given_must_be_allowed() -> None:
    with pytest.raises(ConfigError) as info:
        load(PARAMETERS, parameters={"Stage": "qa"})
    assert str(info.value) == (
        "template.yaml:2: Parameters.Stage: parameter 'Stage': parameters= gives 'qa', not one "
        "of its AllowedValues (use one of: dev, prod)"
    )


def test_a_default_must_be_allowed_when_used() -> None:
    template = load(
        """
        Parameters:
          P: {Type: String, Default: prd, AllowedValues: [dev, prod]}
        Resources:
          R: {Type: AWS::SQS::Queue, Properties: {V: !Ref P}}
        """
    )
    with pytest.raises(ConfigError) as info:
        prop(template, "R", "V")
    assert str(info.value) == (
        "template.yaml:2: Parameters.P.Default: parameter 'P': its Default is 'prd', not one "
        "of its AllowedValues (did you mean 'prod'?) (use one of: dev, prod)"
    )


def test_a_number_parameter_must_be_a_number() -> None:
    with pytest.raises(ConfigError, match=r"parameter 'Count' is a Number: parameters= gives 'x'"):
        load(PARAMETERS, parameters={"Count": "x"})


def test_a_value_for_an_undeclared_parameter_is_refused_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load(PARAMETERS, parameters={"Stag": "prod"})
    assert str(info.value) == (
        "template.yaml:1: Parameters: a value is given for parameter 'Stag', which the template "
        "does not declare (did you mean 'Stage'?) (its parameters: Stage, Count, Names, Subnets, "
        "NoDefault)"
    )


def test_an_ssm_parameter_needs_a_value() -> None:
    text = """
        Parameters:
          Image: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/image}
        Resources:
          R: {Type: AWS::SQS::Queue, Properties: {V: !Ref Image}}
        """
    with pytest.raises(ConfigError, match="read from SSM Parameter Store"):
        prop(load(text), "R", "V")
    assert prop(load(text, parameters={"Image": "img-1"}), "R", "V") == "img-1"


def test_an_unused_resource_may_hold_what_cannot_be_resolved() -> None:
    template = load(
        """
        Parameters:
          Missing: {Type: String}
        Resources:
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: !Ref Missing
              Other: !GetAtt Nowhere.Arn
              Odd: {"Fn::Nonsense": 1}
          R: {Type: AWS::SQS::Queue, Properties: {V: !GetAtt Table.Arn}}
        """
    )
    assert set(template.resources) == {"Table", "R"}
    assert prop(template, "R", "V") == "arn:aws:dynamodb:us-east-1:123456789012:Table"


# -- pseudo parameters -----------------------------------------------------------------------

PSEUDO = """
R:
  Type: AWS::SQS::Queue
  Properties:
    V:
      Region: !Ref AWS::Region
      Account: !Ref AWS::AccountId
      Partition: !Ref AWS::Partition
      Stack: !Ref AWS::StackName
      StackId: !Ref AWS::StackId
      Suffix: !Ref AWS::URLSuffix
      Notifications: !Ref AWS::NotificationARNs
      Gone: !Ref AWS::NoValue
"""


def test_pseudo_parameters() -> None:
    value = value_of(PSEUDO)
    stack_id = value.pop("StackId")
    assert value == {
        "Region": "us-east-1",
        "Account": "123456789012",
        "Partition": "aws",
        "Stack": "apistages",
        "Suffix": "amazonaws.com",
        "Notifications": [],
    }
    assert re.fullmatch(
        r"arn:aws:cloudformation:us-east-1:123456789012:stack/apistages/"
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        stack_id,
    )
    assert value_of(PSEUDO)["StackId"] == stack_id  # fixed for a stack name
    assert value_of(PSEUDO, stack_name="other")["StackId"] != stack_id


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
    ],
)
def test_partitions(region: str, partition: str, suffix: str) -> None:
    value = value_of(PSEUDO, region=region, account_id="111122223333", stack_name="s")
    assert (value["Region"], value["Partition"], value["Suffix"]) == (region, partition, suffix)
    assert value["StackId"].startswith(f"arn:{partition}:cloudformation:{region}:111122223333:")


# -- resource values -------------------------------------------------------------------------

RESOURCES = """
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: pets}}
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets}
  Release: {Type: AWS::ApiGateway::Deployment, Properties: {RestApiId: !Ref Api}}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Release, StageName: !Sub "${AWS::Region}x"}
  Key: {Type: AWS::ApiGateway::ApiKey}
  Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: !Sub "${AWS::StackName}-fn"}}
  Other: {Type: AWS::Lambda::Function}
  V1: {Type: AWS::Lambda::Version, Properties: {FunctionName: !Ref Fn}}
  OtherV1: {Type: AWS::Lambda::Version, Properties: {FunctionName: !GetAtt Other.Arn}}
  V2: {Type: AWS::Lambda::Version, Properties: {FunctionName: !Ref Fn}}
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: !GetAtt V2.Version, Name: live}
  Sam: {Type: AWS::Serverless::Function}
  Queue: {Type: AWS::SQS::Queue}
"""


def test_api_gateway_ids_are_minted_from_logical_ids() -> None:
    template = load(RESOURCES)
    api_id = template.ref_value("Api")
    assert re.fullmatch(r"[a-z0-9]{10}", api_id)
    assert load(RESOURCES).ref_value("Api") == api_id  # deterministic
    assert template.attribute_value("Api", "RestApiId", "x") == api_id
    root = template.attribute_value("Api", "RootResourceId", "x")
    assert re.fullmatch(r"[a-z0-9]{10}", root) and root != api_id
    assert prop(template, "Pets", "ParentId") == root
    assert re.fullmatch(r"[a-z0-9]{6}", template.ref_value("Pets"))
    assert template.attribute_value("Pets", "ResourceId", "x") == template.ref_value("Pets")
    assert re.fullmatch(r"[a-z0-9]{10}", template.ref_value("Key"))
    assert template.ref_value("Release") == "Release"  # the gateway's deployment ids
    assert template.attribute_value("Release", "DeploymentId", "x") == "Release"
    assert template.ref_value("Prod") == "us-east-1x"  # a Stage's Ref is its name


def test_lambda_names_and_arns() -> None:
    template = load(RESOURCES)
    arn = "arn:aws:lambda:us-east-1:123456789012:function"
    assert template.ref_value("Fn") == "apistages-fn"
    assert template.attribute_value("Fn", "Arn", "x") == f"{arn}:apistages-fn"
    assert template.ref_value("Other") == "Other"
    assert template.ref_value("V1") == f"{arn}:apistages-fn:1"
    assert template.ref_value("OtherV1") == f"{arn}:Other:1"  # counted per function
    assert template.ref_value("V2") == f"{arn}:apistages-fn:2"
    assert template.attribute_value("V2", "Version", "x") == "2"
    assert prop(template, "Live", "FunctionVersion") == "2"
    assert template.ref_value("Live") == f"{arn}:apistages-fn:live"
    assert template.ref_value("Sam") == "Sam"
    assert template.attribute_value("Sam", "Arn", "x") == f"{arn}:Sam"


def test_types_we_do_not_model() -> None:
    template = load(RESOURCES, region="eu-west-1")
    assert template.ref_value("Queue") == "Queue"
    assert template.attribute_value("Queue", "Arn", "x") == (
        "arn:aws:sqs:eu-west-1:123456789012:Queue"
    )
    assert template.attribute_value("Queue", "QueueName", "x") == "Queue.QueueName"


def test_attributes_we_model_are_checked() -> None:
    with pytest.raises(ConfigError) as info:
        load(RESOURCES).attribute_value("Fn", "Arm", "Outputs.Arn.Value.Fn::GetAtt")
    assert str(info.value) == (
        "template.yaml: Outputs.Arn.Value.Fn::GetAtt: AWS::Lambda::Function 'Fn' has no "
        "attribute 'Arm' here (its attributes: Arn)"
    )


def test_getatt_of_a_resource_outside_the_template() -> None:
    error = refused(
        """
        Func: {Type: AWS::Lambda::Function}
        R: {Type: AWS::SQS::Queue, Properties: {V: !GetAtt Fnuc.Arn}}
        """
    )
    assert str(error) == (
        "template.yaml:3: Resources.R.Properties.V.Fn::GetAtt: resource 'Fnuc' is not in the "
        "template (did you mean 'Func'?)"
    )


def test_ref_to_an_unknown_name() -> None:
    error = refused(
        """
        Table: {Type: AWS::DynamoDB::Table}
        R:
          Type: AWS::Lambda::Function
          Properties:
            V:
              Variables:
                TABLE: {Ref: Tabel}
        """
    )
    assert str(error) == (
        "template.yaml:8: Resources.R.Properties.V.Variables.TABLE.Ref: 'Tabel' is neither a "
        "parameter nor a resource of this template (did you mean 'Table'?) (declare it under "
        "Parameters or Resources)"
    )
    assert error.key == "Resources.R.Properties.V.Variables.TABLE.Ref"


def test_a_ref_cycle_through_resources_is_refused() -> None:
    error = refused(
        """
        S: {Type: AWS::ApiGateway::Stage, Properties: {StageName: !Ref T}}
        T: {Type: AWS::ApiGateway::Stage, Properties: {StageName: !Ref S}}
        R: {Type: AWS::SQS::Queue, Properties: {V: !Ref S}}
        """
    )
    assert error.problem == "these refer to each other in a cycle: S → T → S"
    assert error.key == "Resources.T.Properties.StageName.Ref"


def test_a_stage_needs_its_name_to_be_read() -> None:
    error = refused(
        """
        S: {Type: AWS::ApiGateway::Stage, Properties: {DeploymentId: d}}
        R: {Type: AWS::SQS::Queue, Properties: {V: !Ref S}}
        """
    )
    assert str(error) == (
        "template.yaml:2: Resources.S.Properties: StageName is not given, and this resource's "
        "value needs it"
    )


# -- functions -------------------------------------------------------------------------------


def test_sub() -> None:
    template = load(
        """
        Parameters:
          Stage: {Type: String, Default: prod}
        Resources:
          Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: pets}}
          R:
            Type: AWS::SQS::Queue
            Properties:
              A: !Sub "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/${Fn.Arn}"
              B: !Sub ["${Api}/${ Stage }/${Fn}", {Api: !Ref AWS::AccountId, Stage: "*"}]
              C: !Sub "https://${!stageVariables.host}/${Stage}/${!Literal}"
              D: "https://${stageVariables.host}/${Stage}"
              E: !Sub "no names"
        """
    )
    assert prop(template, "R", "A") == (
        "arn:aws:apigateway:us-east-1:lambda:path/"
        "arn:aws:lambda:us-east-1:123456789012:function:pets"
    )
    assert prop(template, "R", "B") == "123456789012/*/pets"
    assert prop(template, "R", "C") == "https://${stageVariables.host}/prod/${Literal}"
    assert prop(template, "R", "D") == "https://${stageVariables.host}/${Stage}"  # not Fn::Sub
    assert prop(template, "R", "E") == "no names"


def test_sub_of_a_stage_variable_says_how_to_keep_it() -> None:
    error = refused(
        """
        R:
          Type: AWS::SQS::Queue
          Properties:
            V: !Sub "https://${stageVariables.host}/x"
        """
    )
    assert str(error) == (
        "template.yaml:5: Resources.R.Properties.V.Fn::Sub: Fn::Sub reads "
        "${stageVariables.host} as attribute 'host' of resource 'stageVariables', which the "
        "template does not define (to pass it on as text (for API Gateway), write "
        "${!stageVariables.host})"
    )


def test_sub_of_an_unknown_name() -> None:
    error = refused("R: {Type: AWS::SQS::Queue, Properties: {V: !Sub ['${Nme}', {Name: x}]}}\n")
    assert error.key == "Resources.R.Properties.V.Fn::Sub[0]"
    assert error.problem == "'Nme' is neither a parameter nor a resource of this template"


def test_sub_of_a_list_is_refused() -> None:
    error = refused(
        "R: {Type: AWS::SQS::Queue, Properties: {V: !Sub '${AWS::NotificationARNs}'}}\n"
    )
    assert error.problem == "${AWS::NotificationARNs} must be text, got list []"


def test_pure_functions() -> None:
    value = value_of(
        """
        R:
          Type: AWS::SQS::Queue
          Properties:
            V:
              Join: !Join [", ", [a, 1, true, !Ref AWS::Region]]
              JoinSplit: !Join ["-", !Split [",", "x,y,z"]]
              Select: !Select ["1", [a, b, c]]
              SelectAz: !Select [0, !GetAZs ""]
              Split: !Split ["/", a/b//c]
              Base64: !Base64 "hello ${x}"
              Azs: !GetAZs eu-west-2
              Cidr: !Cidr [10.0.0.0/16, 3, 8]
              Cidr6: !Cidr ["2001:db8::/56", 2, 64]
        """
    )
    assert value == {
        "Join": "a, 1, true, us-east-1",
        "JoinSplit": "x-y-z",
        "Select": "b",
        "SelectAz": "us-east-1a",
        "Split": ["a", "b", "", "c"],
        "Base64": base64.b64encode(b"hello ${x}").decode(),
        "Azs": ["eu-west-2a", "eu-west-2b", "eu-west-2c"],
        "Cidr": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "Cidr6": ["2001:db8::/64", "2001:db8:0:1::/64"],
    }


@pytest.mark.parametrize(
    ("value", "key", "problem"),
    [
        ("!Select [3, [a, b]]", "V.Fn::Select[0]", "index 3 is out of range: the list has 2 items"),
        ("!Select [x, [a]]", "V.Fn::Select[0]", "the index must be a whole number, got str 'x'"),
        ("!Select [0, a]", "V.Fn::Select[1]", "Fn::Select picks from a list, got str 'a'"),
        ("!Join [',']", "V.Fn::Join", "Fn::Join takes a list of 2, got [',']"),
        ("!Join [',', [[a]]]", "V.Fn::Join[1][0]", "a joined value must be text, got list ['a']"),
        ("!Cidr [10.0.0.0/24, 4, 7]", "V.Fn::Cidr", "10.0.0.0/24 holds only 2 /25 blocks, not 4"),
        ("!Cidr [10.0.0.0/24, 1, 9]", "V.Fn::Cidr", "cannot cut 1 /23 blocks from 10.0.0.0/24"),
        ("!Cidr [nope, 1, 8]", "V.Fn::Cidr[0]", "not an address block: 'nope' does not appear "
         "to be an IPv4 or IPv6 network"),
        ("{'Fn::Length': [1]}", "V.Fn::Length", "unknown function 'Fn::Length' (did you "
         "mean 'Fn::Select'?)"),
        ("!Equals [a, b]", "V.Fn::Equals", "Fn::Equals belongs under Conditions"),
        ("!Transform {Name: MyMacro}", "V.Fn::Transform", "only the AWS::Include transform runs "
         "locally, got 'MyMacro'"),
        ("!Ref [a]", "V.Ref", "Ref takes a name, got list ['a']"),
    ],
)  # fmt: skip
def test_function_mistakes(value: str, key: str, problem: str) -> None:
    error = refused(f"R:\n  Type: AWS::SQS::Queue\n  Properties:\n    V: {value}\n")
    assert (error.key, error.problem) == (f"Resources.R.Properties.{key}", problem)
    assert error.line == 5  # type: ignore[attr-defined]


def test_find_in_map() -> None:
    text = """
        Mappings:
          Regions:
            us-east-1: {Ami: ami-1, "2024": new}
        Resources:
          R: {Type: AWS::SQS::Queue, Properties: {V: !FindInMap [Regions, !Ref AWS::Region, Ami]}}
          N: {Type: AWS::SQS::Queue, Properties: {V: !FindInMap [Regions, us-east-1, 2024]}}
        """
    template = load(text)
    assert prop(template, "R", "V") == "ami-1"
    assert prop(template, "N", "V") == "new"
    with pytest.raises(ConfigError) as info:
        prop(load(text, region="eu-west-1"), "R", "V")
    assert str(info.value) == (
        "template.yaml:5: Resources.R.Properties.V.Fn::FindInMap[1]: Mappings.Regions has no "
        "key 'eu-west-1' (did you mean 'us-east-1'?) (its keys: us-east-1)"
    )


def test_import_value() -> None:
    text = (
        "R: {Type: AWS::SQS::Queue, Properties: "
        "{V: {Fn::ImportValue: !Sub '${AWS::StackName}-url'}}}\n"
    )
    assert value_of(text, imports={"apistages-url": "https://x"}) == "https://x"
    error = refused(text, imports={"apistages-uri": "https://x"})
    assert str(error) == (
        "template.yaml:2: Resources.R.Properties.V.Fn::ImportValue: Fn::ImportValue reads export "
        "'apistages-url' of another stack, which is not there locally (did you mean "
        "'apistages-uri'?) (add imports: {apistages-url: value} next to source: in apistages.yaml)"
    )


# -- conditions ------------------------------------------------------------------------------

CONDITIONS = """
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Or [!Equals [!Ref AWS::Region, us-east-1], !Condition IsProd]]
Resources:
  ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
  DevOnly: {Type: AWS::SQS::Queue, Condition: Both}
  R:
    Type: AWS::SQS::Queue
    Properties:
      V:
        Name: !If [IsProd, prod-name, dev-name]
        Gone: !If [IsDev, !Ref AWS::NoValue, kept]
        List: [a, !If [IsDev, !Ref AWS::NoValue, b], c]
        Nested: {Only: !Ref AWS::NoValue}
        Policy: {Condition: {StringEquals: {k: v}}}
      Whole: !If [IsDev, !Ref AWS::NoValue, x]
      Uses: !Ref ProdOnly
      Guarded: !If [IsProd, !Ref ProdOnly, !Ref AWS::NoValue]
"""


def test_conditions_choose_resources_and_values() -> None:
    dev = load(CONDITIONS)
    assert set(dev.resources) == {"DevOnly", "R"}
    assert prop(dev, "R", "V") == {
        "Name": "dev-name",
        "List": ["a", "c"],
        "Nested": {},
        "Policy": {"Condition": {"StringEquals": {"k": "v"}}},  # a Condition key is data
    }
    assert prop(dev, "R", "Whole") is None
    assert prop(dev, "R", "Guarded") is None
    prod = load(CONDITIONS, parameters={"Stage": "prod"})
    assert set(prod.resources) == {"ProdOnly", "R"}
    assert prop(prod, "R", "V")["Gone"] == "kept"
    assert prop(prod, "R", "V")["List"] == ["a", "b", "c"]
    assert prop(prod, "R", "Guarded") == "ProdOnly"


def test_a_ref_to_a_resource_its_condition_drops() -> None:
    with pytest.raises(ConfigError) as info:
        prop(load(CONDITIONS), "R", "Uses")
    assert str(info.value) == (
        "template.yaml:20: Resources.R.Properties.Uses.Ref: resource 'ProdOnly' is not created: "
        "its Condition 'IsProd' is false (refer to it inside Fn::If [IsProd, ..., ...])"
    )


def test_a_condition_cycle_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        _ = load(
            """
            Conditions:
              A: !And [!Condition B, !Equals [a, a]]
              B: {"Fn::Not": [{Condition: A}]}
            Resources:
              R: {Type: AWS::SQS::Queue, Condition: A}
            """
        ).resources
    assert str(info.value) == (
        "template.yaml:3: Conditions.B.Fn::Not[0].Condition: these refer to each other in a "
        "cycle: Conditions.A → Conditions.B → Conditions.A (break it)"
    )


def test_an_undeclared_condition() -> None:
    with pytest.raises(ConfigError) as info:
        _ = load(
            """
            Conditions:
              IsProd: !Equals [a, b]
            Resources:
              R: {Type: AWS::SQS::Queue, Condition: IsPrd}
            """
        ).resources
    assert str(info.value) == (
        "template.yaml:4: Resources.R.Condition: condition 'IsPrd' is not declared under "
        "Conditions (did you mean 'IsProd'?) (declared conditions: IsProd)"
    )


# -- includes --------------------------------------------------------------------------------


def test_aws_include_reads_a_local_file_and_resolves_it(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "openapi.yaml").write_text(
        "paths:\n  /pets:\n    get:\n      uri: !Sub 'arn:${AWS::Partition}:x:${Fn.Arn}'\n"
    )
    template = load(
        """
        Resources:
          Fn: {Type: AWS::Lambda::Function}
          R:
            Type: AWS::SQS::Queue
            Properties:
              V:
                Fn::Transform:
                  Name: AWS::Include
                  Parameters: {Location: api/openapi.yaml}
        """,
        base_dir=tmp_path,
    )
    assert prop(template, "R", "V") == {
        "paths": {
            "/pets": {"get": {"uri": "arn:aws:x:arn:aws:lambda:us-east-1:123456789012:function:Fn"}}
        }
    }


def test_an_error_in_an_included_file_is_located_there(tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("a:\n  b: !Ref Nowhere\n")
    text = (
        "R: {Type: AWS::SQS::Queue, Properties: {V: !Transform "
        "{Name: AWS::Include, Parameters: {Location: part.yaml}}}}\n"
    )
    error = refused(text, base_dir=tmp_path)
    assert str(error) == (
        "part.yaml:2: a.b.Ref: 'Nowhere' is neither a parameter nor a resource of this template "
        "(declare it under Parameters or Resources)"
    )


def test_an_include_that_includes_itself(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").write_text(
        "a: !Transform {Name: AWS::Include, Parameters: {Location: loop.yaml}}\n"
    )
    text = (
        "R: {Type: AWS::SQS::Queue, Properties: {V: !Transform "
        "{Name: AWS::Include, Parameters: {Location: loop.yaml}}}}\n"
    )
    error = refused(text, base_dir=tmp_path)
    assert error.source == "loop.yaml"
    assert error.problem == (
        "these refer to each other in a cycle: include loop.yaml → include loop.yaml"
    )


def test_an_include_from_s3(tmp_path: Path) -> None:
    text = (
        "R: {Type: AWS::SQS::Queue, Properties: {V: !Transform "
        "{Name: AWS::Include, Parameters: {Location: 's3://bucket/api.yaml'}}}}\n"
    )
    error = refused(text, base_dir=tmp_path)
    assert str(error) == (
        "template.yaml:2: Resources.R.Properties.V.Fn::Transform.Parameters.Location: "
        "AWS::Include cannot read 's3://bucket/api.yaml' from S3 (give Location as a file path "
        "relative to the template)"
    )


# -- limits and lines ------------------------------------------------------------------------


def test_deep_nesting_is_a_config_error() -> None:
    value: Any = "x"
    for _ in range(2000):
        value = {"Fn::Base64": value}
    template = Template({"Resources": {}}, SOURCE)
    with pytest.raises(ConfigError, match="nested more than 100 levels deep"):
        template.resolve(value, "V")
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ConfigError, match="nested more than 100 levels deep"):
        template.resolve(cyclic, "V")


def test_line_is_the_nearest_ancestors() -> None:
    template = load(RESOURCES)
    assert template.line("Resources.Api") == 2
    assert template.line("Resources.Api.Properties.Name.Fn::Sub[0]") == 2
    assert template.line("Resources.Prod.Properties.StageName.Fn::Sub") == 9
    assert template.line("Elsewhere") is None
    error = template.error("Resources.Key.Properties", "a problem", "the fix")
    assert str(error) == "template.yaml:10: Resources.Key.Properties: a problem (the fix)"
    assert error.line == 10  # type: ignore[attr-defined]
    assert str(template.error("Elsewhere", "p")) == "template.yaml: Elsewhere: p"


# -- real templates --------------------------------------------------------------------------


def _corpus() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the reference corpus is not beside this repo")
@pytest.mark.parametrize("file", _corpus(), ids=lambda p: p.name)
def test_real_templates_parse(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    if "!Rain::Embed" in text:
        with pytest.raises(ConfigError) as info:
            read_template(text, file.name)
        line = next(n for n, row in enumerate(text.splitlines(), 1) if "!Rain::Embed" in row)
        assert info.value.key.startswith(f"line {line}, column ")
        assert info.value.problem == "unknown tag '!Rain::Embed'"
        return
    data, lines = read_template(text, file.name)
    if file.suffix == ".json":
        assert data == json.loads(text)
    assert lines and all(path.split(".")[0].split("[")[0] in data for path in lines)
    template = Template(data, file.name, lines=lines)
    assert isinstance(template.resources, dict)
