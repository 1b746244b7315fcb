#include "zenws/protocol/json_rpc.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/json_depth.hpp"
#include "zenws/protocol/utf8.hpp"

namespace zenws::json_rpc {

namespace {

using rapidjson::SizeType;

std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

void read_error(const rapidjson::Value& error, message& out) {
  if (!error.IsObject()) {
    out.error_message = error.IsString() ? std::string{view(error)} : to_json(error);
    return;
  }
  if (const auto* code = member(error, "code"); code && code->IsInt64())
    out.error_code = code->GetInt64();
  const auto* text = member(error, "message");
  if (!text)
    text = member(error, "msg");
  if (text && text->IsString())
    out.error_message = std::string{view(*text)};
}

} // namespace

failure check_params(std::string_view params) {
  if (params.empty())
    return {};
  // RapidJSON stops at a NUL byte as at the end of the text, so "{}\0junk" would pass and go
  // out verbatim. JSON has no raw NUL (it is written \u0000 in strings).
  if (const auto nul = params.find('\0'); nul != std::string_view::npos)
    return {errc::bad_json, "params hold a NUL byte at offset " + std::to_string(nul), 0, 0};
  // A text frame that is not UTF-8 makes the server fail the whole connection (RFC 6455 8.1).
  if (!is_valid_utf8(params))
    return {errc::bad_json, "params are not UTF-8 (JSON text and text frames must be)", 0, 0};
  if (!json_depth_within(params))
    return {errc::bad_json,
            "params nest deeper than " + std::to_string(max_json_depth) + " arrays and objects", 0,
            0};
  rapidjson::Document doc; // depth checked above, with its own message
  if (doc.Parse(params.data(), params.size()).HasParseError())
    return {errc::bad_json,
            std::string{"params are not JSON: "} +
                rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                std::to_string(doc.GetErrorOffset()),
            0, 0};
  if (!doc.IsObject() && !doc.IsArray())
    return {errc::bad_json, "params must be a JSON object or array", 0, 0};
  return {};
}

std::string build_request(request_id id, std::string_view method, std::string_view params,
                          bool jsonrpc_member) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  writer.StartObject();
  if (jsonrpc_member) {
    writer.Key("jsonrpc");
    writer.String("2.0");
  }
  writer.Key("id");
  writer.Int64(id);
  writer.Key("method");
  writer.String(method.data(), static_cast<SizeType>(method.size()));
  if (!params.empty()) {
    writer.Key("params");
    const auto type = params.front() == '[' ? rapidjson::kArrayType : rapidjson::kObjectType;
    writer.RawValue(params.data(), params.size(), type);
  }
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

const char* to_string(kind k) noexcept {
  switch (k) {
  case kind::not_json:
    return "not_json";
  case kind::other:
    return "other";
  case kind::response:
    return "response";
  case kind::error:
    return "error";
  case kind::notification:
    return "notification";
  case kind::request:
    return "request";
  case kind::partial:
    return "partial";
  case kind::shutdown:
    return "shutdown";
  }
  return "unknown";
}

message classify(std::string_view text) {
  message out;
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text))
    return out;
  out.what = kind::other;
  if (!doc.IsObject())
    return out;

  const auto* id = member(doc, "id");
  if (id && id->IsInt64())
    out.id = id->GetInt64();
  if (const auto* error = member(doc, "error"); id && error && !error->IsNull()) {
    out.what = kind::error;
    read_error(*error, out);
    return out;
  }
  if (const auto* result = member(doc, "result"); id && result) {
    out.what = kind::response;
    out.result = to_json(*result);
    return out;
  }
  const auto* method = member(doc, "method");
  if (!method || !method->IsString())
    return out;
  out.what = id && !id->IsNull() ? kind::request : kind::notification;
  out.method = std::string{view(*method)};
  if (const auto* params = member(doc, "params"); params && params->IsObject())
    if (const auto* type = member(*params, "type"); type && type->IsString())
      out.params_type = std::string{view(*type)};
  return out;
}

std::optional<std::vector<std::string>> string_array(std::string_view json) {
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, json) || !doc.IsArray())
    return std::nullopt;
  std::vector<std::string> out;
  out.reserve(doc.Size());
  for (const auto& element : doc.GetArray()) {
    if (!element.IsString())
      return std::nullopt;
    out.emplace_back(view(element));
  }
  return out;
}

failure to_failure(const message& error_response) {
  std::string detail = std::to_string(error_response.error_code);
  if (!error_response.error_message.empty())
    detail += " " + error_response.error_message;
  const auto status = error_response.status;
  auto code = errc::server_error;
  if (status == 429 || status == 418)
    code = errc::venue_rate_limited;
  else if (status == 401)
    code = errc::auth_failed;
  else if (status == 403)
    code = errc::forbidden;
  else if (status >= 500 && status < 600)
    code = errc::outcome_unknown;
  return {code, std::move(detail), status, 0};
}

} // namespace zenws::json_rpc
