-- Argo CD health check of the pagerduty-operator kinds: PagerDutyIntegration, PagerDutyWebhook
-- and PagerDutyIncidentRule (group pagerduty.ops.dev). Argo CD runs it with the live object in
-- `obj` (Lua 5.1). The operator's summary condition is Ready:
--   Healthy      Ready=True for the current generation
--   Degraded     Ready=False for the current generation (its reason and message)
--   Progressing  no status yet, a generation the operator has not reconciled yet, Ready=Unknown,
--                or the object is being deleted (the finalizer cleans up in PagerDuty)
local hs = {}

local function ready_condition(status)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      return condition
    end
  end
  return nil
end

local function is_stale(observed, generation)
  return generation ~= nil and observed ~= nil and observed < generation
end

local metadata = obj.metadata or {}
local generation = metadata.generation

if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Being deleted: the operator is cleaning up in PagerDuty"
  return hs
end

local ready = ready_condition(obj.status)
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile this resource"
  return hs
end

local observed = obj.status.observedGeneration
if observed == nil then
  observed = ready.observedGeneration
end
if observed == nil or is_stale(observed, generation) or is_stale(ready.observedGeneration, generation) then
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = string.format("Waiting for the operator to reconcile generation %d", generation)
  else
    hs.message = "Waiting for the operator to reconcile this resource"
  end
  return hs
end

local reason = ready.reason or ""
local message = ready.message or ""
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
elseif ready.status == "False" then
  hs.status = "Degraded"
  if reason ~= "" and message ~= "" then
    hs.message = reason .. ": " .. message
  else
    hs.message = reason .. message
  end
else
  hs.status = "Progressing"
  if message ~= "" then
    hs.message = message
  else
    hs.message = "The operator is reconciling this resource"
  end
end
return hs
