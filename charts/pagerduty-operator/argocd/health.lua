-- Argo CD health check of the pagerduty-operator kinds: PagerDutyIntegration, PagerDutyWebhook
-- and PagerDutyIncidentRule (group pagerduty.ops.dev). Argo CD runs it with the live object in
-- `obj` (gopher-lua, Lua 5.1) and, by default, only the base, table, package and a safe os
-- library: no `string`, no `math`. So this script uses only base functions (type, tostring,
-- ipairs) and `..`, and checks the type of every field it reads. The operator's summary condition
-- is Ready:
--   Healthy      Ready=True for the current generation
--   Degraded     Ready=False for the current generation (its reason and message), or a status
--                that is not shaped like the operator's (the message names the field)
--   Progressing  no status yet, a generation the operator has not reconciled yet, Ready=Unknown,
--                or the object is being deleted (the finalizer cleans up in PagerDuty)
local hs = {}

local function table_or_nil(value)
  if type(value) == "table" then
    return value
  end
  return nil
end

local function text(value)
  if type(value) == "string" then
    return value
  end
  return ""
end

local function degraded(message)
  hs.status = "Degraded"
  hs.message = message
  return hs
end

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

local metadata = table_or_nil(obj) and table_or_nil(obj.metadata) or {}
local generation = metadata.generation
if type(generation) ~= "number" then
  generation = nil
end

if metadata.deletionTimestamp ~= nil then
  return progressing("Being deleted: the operator is cleaning up in PagerDuty")
end

local status = nil
if type(obj) == "table" then
  status = obj.status
end
if status == nil then
  return progressing("Waiting for the operator to reconcile this resource")
end
if type(status) ~= "table" then
  return degraded("status is not an object; the operator rewrites it at its next reconcile")
end
local conditions = status.conditions
if conditions == nil then
  return progressing("Waiting for the operator to reconcile this resource")
end
if type(conditions) ~= "table" then
  return degraded("status.conditions is not a list; the operator rewrites it at its next reconcile")
end

local ready = nil
for _, condition in ipairs(conditions) do
  if type(condition) == "table" and condition.type == "Ready" then
    ready = condition
  end
end
if ready == nil then
  return progressing("Waiting for the operator to reconcile this resource")
end

local observed = status.observedGeneration
if observed == nil then
  observed = ready.observedGeneration
end
if observed ~= nil and type(observed) ~= "number" then
  return degraded("status.observedGeneration is not a number")
end
local ready_observed = ready.observedGeneration
if ready_observed ~= nil and type(ready_observed) ~= "number" then
  return degraded("the Ready condition's observedGeneration is not a number")
end

local function is_stale(seen)
  return generation ~= nil and seen ~= nil and seen < generation
end

if observed == nil or is_stale(observed) or is_stale(ready_observed) then
  if generation ~= nil then
    return progressing("Waiting for the operator to reconcile generation " .. tostring(generation))
  end
  return progressing("Waiting for the operator to reconcile this resource")
end

local reason = text(ready.reason)
local message = text(ready.message)
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end
if ready.status == "False" then
  if reason ~= "" and message ~= "" then
    return degraded(reason .. ": " .. message)
  end
  if reason .. message ~= "" then
    return degraded(reason .. message)
  end
  return degraded("Ready is False; the condition gives no reason or message")
end
if message ~= "" then
  return progressing(message)
end
return progressing("The operator is reconciling this resource")
