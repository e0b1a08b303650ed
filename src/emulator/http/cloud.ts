/**
 * The cloud API front door of one regional endpoint, in the gateway's order:
 * latency → routing → signature verification → throttling → RAM → drop-before → 5xx → service
 * failure → APPLY (the action's handler) → drop-after → malformed. Gateway failures answer with
 * `{RequestId, HostId, Code, Message, Recommend}`, service answers with the envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultInjector } from '../faults';
import { RAM_ACTIONS, ROUTES, accessDeniedDetail, gatewayError, gatewayErrorBody, isGatewayError, ramResource, route, verify, type GatewayError } from '../gateway';
import { HANDLERS, envelope, type ServiceAnswer } from '../service';
import type { EmulatorState } from '../state';
import type { CallRecord, EmulatorKey } from '../types';
import { newRequestId, sendJson, type RequestTarget } from './wire';

export interface CloudDeps {
  state: EmulatorState;
  faults: FaultInjector;
  keys: readonly EmulatorKey[];
}

export type CloudHandler = (region: string, req: IncomingMessage, res: ServerResponse, target: RequestTarget, body: Buffer) => Promise<void>;

export function createCloudHandler({ state, faults, keys }: CloudDeps): CloudHandler {
  return async (region, req, res, target, body) => {
    const requestId = newRequestId();
    const pathname = target.pathname;
    // Null prototype: parameter names such as __proto__ are plain data here.
    const query: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of target.query) query[k] = v;
    const headerAction = typeof req.headers['x-acs-action'] === 'string' ? req.headers['x-acs-action'] : undefined;
    const scopeAction = (Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined) ?? headerAction ?? pathname;
    const call: Omit<CallRecord, 'seq' | 'atMs' | 'tMs'> = {
      region,
      action: scopeAction,
      path: pathname,
      requestId,
      httpStatus: 0,
      ...(query['InstanceId'] ?? query['ClusterId'] ? { instanceId: query['InstanceId'] ?? query['ClusterId'] } : {}),
    };

    const send = (httpStatus: number, payload: Record<string, unknown> | string, headers: Record<string, string> = {}): void => {
      call.httpStatus = httpStatus;
      state.recordCall(call);
      sendJson(res, httpStatus, payload, { 'x-acs-request-id': requestId, ...headers });
    };
    const sendGateway = (error: GatewayError): void => {
      call.code = error.code;
      send(error.httpStatus, gatewayErrorBody(error, requestId, region), error.headers);
    };
    const drop = (fault: string): void => {
      call.dropped = true;
      call.fault = fault;
      call.httpStatus = 0;
      state.recordCall(call);
      // No response at all: the client sees a reset / "socket hang up".
      req.socket.destroy();
    };

    const latency = faults.addedLatency(scopeAction, region);
    if (latency.ms > 0) {
      call.addedLatencyMs = latency.ms;
      await sleep(latency.ms);
    }

    const routed = route(req.method ?? 'GET', pathname, req.headers);
    if (isGatewayError(routed)) return sendGateway(routed);
    const action = routed.action;

    const verified = verify({
      method: req.method ?? 'POST',
      pathname,
      query,
      headers: req.headers,
      body,
      keys,
      nowMs: state.gatewayNow(),
      useNonce: (id, nonce) => state.useNonce(id, nonce),
    });
    if ('accessKeyId' in verified) call.accessKeyId = verified.accessKeyId;
    if (isGatewayError(verified)) return sendGateway(verified);
    const key = verified.key;
    call.accessKeyId = key.accessKeyId;

    const throttled = faults.throttle(region, action, key.accessKeyId);
    if (throttled) {
      call.fault = throttled.fault;
      return sendGateway(throttled);
    }

    // RAM: the key's own deny list, or the run-time "RAM revoked" fault that denies every key.
    const revoked = faults.ramDenied(action, region);
    if (key.deniedActions?.includes(action) || revoked) {
      const detail = accessDeniedDetail(key, action);
      const message = `You are not authorized to do this action. Resource: ${ramResource(action, region, query['InstanceId'] ?? query['ClusterId'])} Action: ${RAM_ACTIONS[action].ramAction}`;
      if (revoked && !key.deniedActions?.includes(action)) call.fault = 'ram-deny';
      const style = key.deniedActions?.includes(action) ? key.denyStyle : revoked?.style;
      if (style === 'service') {
        call.code = 'NoPermission';
        return send(403, envelope(requestId, { success: false, code: 'NoPermission', message, httpStatus: 403, data: false, accessDeniedDetail: JSON.stringify(detail) }));
      }
      return sendGateway(gatewayError(403, 'Forbidden.RAM', message, { extra: { AccessDeniedDetail: detail } }));
    }

    if (faults.dropBefore(action, region)) return drop('drop-before');
    const serverError = faults.serverError(action, region);
    if (serverError) {
      call.fault = 'server-error';
      return sendGateway(serverError);
    }
    const serviceFailure = faults.serviceFailure(action, region);
    if (serviceFailure) {
      call.fault = 'service-failure';
      call.code = serviceFailure.code;
      // Like the spec's example: HTTP 200, Success:false, and Data:true on restart actions.
      const data = action === 'RestartInstance' || action === 'RestartNodeGroup' ? true : [];
      return send(200, envelope(requestId, { success: false, code: serviceFailure.code, message: serviceFailure.message, data }));
    }

    let parsedBody: unknown;
    if (body.length > 0) {
      try {
        parsedBody = JSON.parse(body.toString('utf8'));
      } catch {
        return sendGateway(gatewayError(400, 'InvalidParameter.Format', 'The request body is not valid JSON.'));
      }
    }
    const answer: ServiceAnswer | GatewayError = HANDLERS[action]({ state, region, requestId, query, body: parsedBody });
    if (isGatewayError(answer)) return sendGateway(answer);
    if (answer.code) call.code = answer.code;

    // From here on the call has been applied.
    if (faults.dropAfter(action, region)) return drop('drop-after');
    if (faults.malformed(action, region)) {
      call.fault = 'malformed';
      const text = JSON.stringify(answer.body);
      return send(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    }
    send(answer.httpStatus, answer.body);
  };
}
