/** Instance handlers: RestartInstance, RestartNodeGroup, DescribeInstances, DescribeNodeGroups, DescribeRegions. */
import { gatewayError, type GatewayError } from '../gateway';
import type { Tag } from '../schemas';
import type { EmulatorInstance } from '../types';
import { MSG_NOT_EXISTS, boolParam, envelope, fail, intParam, isErr, page, pageSizeParam, required, type ServiceAnswer, type ServiceContext } from './common';

export const MSG_NOT_RUNNING = 'Invalid instance status: [cannot restart when instance is not running].';
export const CODE_OPERATION_DENIED = 'OperationDenied.InstanceStatus';

/** A restart of a non-running instance: the default InvalidParams text, or OperationDenied.InstanceStatus when that switch is on. */
function notRunning(ctx: ServiceContext, instance: EmulatorInstance): ServiceAnswer {
  if (ctx.state.faults.notRunningCode === CODE_OPERATION_DENIED) {
    return fail(ctx, `The operation is not allowed in the current instance status (${instance.status}).`, false, CODE_OPERATION_DENIED);
  }
  return fail(ctx, MSG_NOT_RUNNING);
}

const REGION_NAMES: Record<string, [string, string]> = {
  'cn-hangzhou': ['华东1（杭州）', 'China (Hangzhou)'],
  'cn-shanghai': ['华东2（上海）', 'China (Shanghai)'],
  'cn-beijing': ['华北2（北京）', 'China (Beijing)'],
  'cn-shenzhen': ['华南1（深圳）', 'China (Shenzhen)'],
  'cn-qingdao': ['华北1（青岛）', 'China (Qingdao)'],
  'cn-zhangjiakou': ['华北3（张家口）', 'China (Zhangjiakou)'],
  'cn-wulanchabu': ['华北6（乌兰察布）', 'China (Ulanqab)'],
  'cn-hongkong': ['中国香港', 'China (Hong Kong)'],
  'ap-southeast-1': ['新加坡', 'Singapore'],
  'ap-southeast-5': ['印度尼西亚（雅加达）', 'Indonesia (Jakarta)'],
  'us-west-1': ['美国（硅谷）', 'US (Silicon Valley)'],
  'us-east-1': ['美国（弗吉尼亚）', 'US (Virginia)'],
  'eu-central-1': ['德国（法兰克福）', 'Germany (Frankfurt)'],
};

function instanceView(i: EmulatorInstance): Record<string, unknown> {
  const now = Date.now();
  return {
    InstanceId: i.instanceId,
    InstanceName: i.instanceName,
    InstanceStatus: i.status,
    RegionId: i.regionId,
    ResourceGroupId: i.resourceGroupId,
    Version: i.version,
    MinorVersion: i.minorVersion,
    RunMode: i.runMode,
    PackageType: i.packageType,
    PayType: i.payType,
    Architecture: i.architecture,
    BeginTime: i.beginTime,
    ExpireTime: i.expireTime,
    RunningTime: i.status === 'running' ? Math.floor((now - i.runningSince) / 1000) : 0,
    MaintainablePeriod: i.maintainablePeriod,
    Tags: i.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
    VSwitches: [{ VswId: `vsw-${i.instanceId.slice(2, 14)}`, ZoneId: `${i.regionId}-h`, Primary: true }],
    VpcId: `vpc-${i.instanceId.slice(2, 14)}`,
    SgId: `sg-${i.instanceId.slice(2, 14)}`,
    AclId: '',
    SecurityGroupManaged: true,
    EnableSSL: false,
    EnabledAuditLoader: true,
    Encrypted: false,
    IsolateLeader: false,
    EnableAutoMinorVersionUpgrade: false,
    EnableMultiAz: false,
    EnableAiFunction: false,
    KmsKeyId: '',
    OssLocation: i.runMode === 'shared_nothing' ? '' : `oss://sr-${i.instanceId}`,
    MonitorType: 'cms',
    AiFunctionInstanceId: '',
  };
}

/** InstanceId and FastMode of a restart call, and the instance of this region it names (or the answer that refuses it). */
function restartTarget(ctx: ServiceContext): { target: EmulatorInstance; fastMode: boolean } | { refused: ServiceAnswer | GatewayError } {
  const instanceId = required(ctx, 'InstanceId');
  if (isErr(instanceId)) return { refused: instanceId };
  const fastMode = boolParam(ctx, 'FastMode');
  if (isErr(fastMode)) return { refused: fastMode };
  const target = ctx.state.instance(instanceId);
  // The host selects the region: an instance of another region does not exist here.
  if (!target || target.regionId !== ctx.region) return { refused: fail(ctx, MSG_NOT_EXISTS) };
  return { target, fastMode };
}

export function restartInstance(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const call = restartTarget(ctx);
  if ('refused' in call) return call.refused;
  const { target: instance, fastMode } = call;
  if (instance.status !== 'running') return notRunning(ctx, instance);
  ctx.state.applyRestart({ instance, action: 'RestartInstance', fastMode, requestId: ctx.requestId });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data: true }) };
}

export function restartNodeGroup(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const call = restartTarget(ctx);
  if ('refused' in call) return call.refused;
  const { target: instance, fastMode } = call;
  const nodeGroupId = ctx.query['NodeGroupId'];
  if (!nodeGroupId) return fail(ctx, 'Invalid params: [NodeGroupId is required].');
  if (!instance.nodeGroups.some((g) => g.nodeGroupId === nodeGroupId)) return fail(ctx, 'Invalid params: [node group not exists].');
  if (instance.status !== 'running') return notRunning(ctx, instance);
  ctx.state.applyRestart({ instance, action: 'RestartNodeGroup', nodeGroupId, fastMode, requestId: ctx.requestId });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data: true }) };
}

/** `Tag` is typed by the API metadata as an array of {Key, Value} strings; anything else is the gateway's InvalidParameter. */
function parseTagFilter(raw: string): Array<{ Key: string; Value?: string }> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const tags: Array<{ Key: string; Value?: string }> = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const { Key, Value } = item as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string' || (Value !== undefined && typeof Value !== 'string')) return undefined;
    tags.push(Value === undefined ? { Key } : { Key, Value });
  }
  return tags;
}

export function describeInstances(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const pageNumber = intParam(ctx, 'PageNumber', 1, 1, 10_000);
  if (isErr(pageNumber)) return pageNumber;
  const pageSize = pageSizeParam(ctx);
  if (isErr(pageSize)) return pageSize;
  let tagFilter: Array<{ Key: string; Value?: string }> = [];
  const rawTag = ctx.query['Tag'];
  if (rawTag) {
    const parsed = parseTagFilter(rawTag);
    if (!parsed) return gatewayError(400, 'InvalidParameter', `The specified parameter Tag is not a valid JSON array of {Key, Value}: ${rawTag.slice(0, 200)}`);
    tagFilter = parsed;
  }
  const regionId = ctx.query['RegionId'];
  if (regionId && !ctx.state.regions.includes(regionId)) {
    return fail(ctx, `Invalid params: [Region id should be select from set [${ctx.state.regions.join(', ')}]]`, []);
  }
  const instanceId = ctx.query['InstanceId'];
  const name = ctx.query['InstanceName'];
  const statuses = ctx.query['InstanceStatus']?.split(',').map((s) => s.trim()).filter(Boolean);
  const rg = ctx.query['ResourceGroupId'];
  const matches = ctx.state.instances().filter(
    (i) =>
      i.regionId === ctx.region &&
      (!regionId || i.regionId === regionId) &&
      (!instanceId || i.instanceId === instanceId) &&
      // Documented choice: case-sensitive substring match (the real behaviour is undocumented).
      (!name || i.instanceName.includes(name)) &&
      (!statuses || statuses.length === 0 || statuses.includes(i.status)) &&
      (!rg || i.resourceGroupId === rg) &&
      tagFilter.every((f) => i.tags.some((t: Tag) => t.Key === f.Key && (f.Value === undefined || t.Value === f.Value))),
  );
  return {
    httpStatus: 200,
    body: envelope(ctx.requestId, { success: true, data: page(matches, pageNumber, pageSize).map(instanceView), total: matches.length }),
  };
}

/**
 * Where a group's HTTP endpoint is. With the data plane on: the instance's own loopback address and
 * the emulator's FE or BE/CN port. Off: the cloud's internal host name shape with the StarRocks
 * default ports (8030 FE, 8040 BE/CN), which do not resolve.
 */
function nodeGroupEndpoint(ctx: ServiceContext, instance: EmulatorInstance, componentType: string): { Endpoint: string; HttpPort: number } {
  const ports = ctx.state.dataPlanePorts;
  const engine = ctx.state.engines.get(instance.instanceId);
  const isFe = componentType === 'FE';
  if (ports && engine) return { Endpoint: engine.address, HttpPort: isFe ? ports.fePort : ports.bePort };
  return { Endpoint: `${isFe ? 'fe' : componentType.toLowerCase()}-${instance.instanceId}-internal.starrocks.aliyuncs.com`, HttpPort: isFe ? 8030 : 8040 };
}

export function describeNodeGroups(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const pageNumber = intParam(ctx, 'PageNumber', 1, 1, 10_000);
  if (isErr(pageNumber)) return pageNumber;
  const pageSize = pageSizeParam(ctx);
  if (isErr(pageSize)) return pageSize;
  const clusterId = ctx.query['ClusterId'];
  if (!clusterId) return fail(ctx, 'Invalid params: [ClusterId is required].', []);
  const instance = ctx.state.instance(clusterId);
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS, []);
  const b = (typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {}) as Record<string, unknown>;
  const ids = Array.isArray(b['nodeGroupIds']) ? (b['nodeGroupIds'] as unknown[]) : undefined;
  const groups = instance.nodeGroups.filter(
    (g) =>
      (typeof b['componentType'] !== 'string' || g.componentType === b['componentType']) &&
      (typeof b['status'] !== 'string' || g.status === b['status']) &&
      (typeof b['nodeGroupName'] !== 'string' || g.nodeGroupName === b['nodeGroupName']) &&
      (!ids || ids.includes(g.nodeGroupId)),
  );
  const data = page(groups, pageNumber, pageSize).map((g) => ({
    NodeGroupId: g.nodeGroupId,
    NodeGroupName: g.nodeGroupName,
    InstanceId: instance.instanceId,
    ComponentType: g.componentType,
    Status: g.status,
    DefaultGroup: true,
    Description: '',
    RegionId: instance.regionId,
    ZoneId: `${instance.regionId}-h`,
    Cu: 8,
    SpecType: 'standard',
    MemoryCpuRatio: 4,
    ResidentNodeNumber: g.residentNodeNumber,
    ElasticNodeNumber: 0,
    TargetElasticNodeNumber: 0,
    DiskNumber: 1,
    StorageSize: 100,
    StoragePerformanceLevel: 'pl1',
    LocalStorageInstanceType: '',
    Architecture: instance.architecture,
    ...nodeGroupEndpoint(ctx, instance, g.componentType),
    EnablePublicNetwork: false,
    PublicAddress: '',
    PayType: instance.payType,
    BillingInstanceId: `${instance.instanceId}-${g.componentType.toLowerCase()}`,
    CommodityCode: 'sr_serverless_public_cn',
    AccountStatus: 'NORMAL',
    BeginTime: instance.beginTime,
    ExpireTime: instance.expireTime,
    RunningTime: Math.floor((Date.now() - instance.runningSince) / 1000),
    NodeInfo: Array.from({ length: g.residentNodeNumber }, (_, n) => ({ NodeId: `${g.componentType.toLowerCase()}-${instance.instanceId.slice(2, 10)}-${n}` })),
    Tags: instance.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  }));
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data, total: groups.length }) };
}

export function describeRegions(ctx: ServiceContext): ServiceAnswer {
  const data = ctx.state.regions.map((r) => {
    const [zh, en] = REGION_NAMES[r] ?? [r, r];
    return { RegionId: r, RegionName: zh, Description: zh, DescriptionEn: en };
  });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data }) };
}
