/**
 * `tally eval SPEC`: an evaluation by hand, through a running server's API. By default it evaluates
 * the last commits the poller saw; `--poll` first asks the server to poll (new commits start their
 * own evaluation, so none is asked for twice).
 */
import type { Command } from 'commander';
import { type ApiOptions, addApiOptions, apiUrlOf, callApi, pathSegment, print } from '../api-client.ts';
import { CliError } from '../cli-error.ts';

interface PollAnswer {
  readonly detected: readonly string[];
  readonly failed: ReadonlyArray<{ channel: string; reason: string; message: string }>;
  readonly evaluations: readonly string[];
}

async function evaluate(spec: string, options: ApiOptions & { readonly poll?: boolean }): Promise<void> {
  const name = pathSegment(spec);
  const api = await apiUrlOf(options);
  if (options.poll) {
    // A poll fetches every channel, each within git's own limit of 2 minutes.
    const { body } = await callApi<PollAnswer>(options, 'POST', `/api/specs/${name}/poll`, {
      timeoutMs: 5 * 60_000,
    });
    if (body.evaluations.length > 0 || body.failed.length > 0) {
      if (body.evaluations.length > 0 || options.json)
        print(options, body, () =>
          [
            ...body.evaluations.map(
              (id) => `new commits (${body.detected.join(', ')}): evaluation ${id} requested`,
            ),
            ...body.evaluations.map((id) => `follow it: ${api}/api/evaluations/${id}`),
          ].join('\n'),
        );
      if (body.failed.length > 0)
        throw new CliError(
          'TALLY_CLI_POLL_FAILED',
          [
            ...body.failed.map((f) => `channel ${f.channel} could not be polled (${f.reason}): ${f.message}`),
            "check the channel's URL and the credentials in the data directory's git-credentials, then poll again",
          ].join('; '),
        );
      return;
    }
  }
  const { body } = await callApi<{ evaluationId: string }>(options, 'POST', `/api/specs/${name}/evaluate`);
  print(options, body, () =>
    [
      `evaluation ${body.evaluationId} of ${spec} requested`,
      `follow it: ${api}/api/evaluations/${body.evaluationId}`,
    ].join('\n'),
  );
}

export function registerEvalCommand(program: Command): void {
  addApiOptions(
    program
      .command('eval')
      .description('evaluate a specification now, through the API of a running server')
      .argument('<spec>')
      .option('--poll', 'poll its channels first; new commits are evaluated as they are found'),
  ).action(evaluate);
}
