// A `latchkey` command, declared once, as a REST route is: its name, a one-line summary, its
// options and argument, and what it runs. The parser (commander), each command's `--help` and the
// list in the overall help are all derived from these declarations (addCommand), and `run` gets
// its options typed from them. A command's file holds its declaration and nothing else.
import { Option, type Command } from 'commander';
import type { CommandContext } from './run-cli';

/** `--name <value>`: text; missing is undefined unless `required` (commander refuses it) or `default`. */
export type ValueOption = {
  /** What the value is called in the help, e.g. `<email>`. */
  value: `<${string}>`;
  /** The help line; a function when it depends on the configuration (the known scopes). */
  help: string | ((context: CommandContext) => string);
  required?: boolean;
  default?: string;
  /** Another option (by its key) that may not be given with this one. */
  conflicts?: string;
};
/** `--name` alone: true when given. */
export type SwitchOption = { switch: true; help: string; conflicts?: string };
/** `--no-name`: the key's value is true unless the option is given. */
export type NegatedOption = { negated: true; help: string };
export type OptionSpec = ValueOption | SwitchOption | NegatedOption;

export type CommandArgument = { name: string; help: string; required?: boolean };

type OptionValue<O> = O extends SwitchOption | NegatedOption
  ? boolean
  : O extends { required: true } | { default: string }
    ? string
    : string | undefined;

type ArgumentValue<A> = A extends { required: true } ? string : string | undefined;

/** What `run` gets: each option by its key, and the argument as `argument` when one is declared. */
export type CommandInput<O, A> = { -readonly [K in keyof O]: OptionValue<O[K]> } & (A extends CommandArgument
  ? { argument: ArgumentValue<A> }
  : unknown);

export type CliCommand<O extends Record<string, OptionSpec> = Record<string, OptionSpec>, A = CommandArgument> = {
  /** As typed on the command line, e.g. `token:create`. */
  name: string;
  summary: string;
  /** Keys in camelCase; the flag is the key in kebab-case (`expiresIn` is `--expires-in`). */
  options?: O;
  argument?: A;
  /** Lines shown after the options in the command's own `--help`. */
  helpAfter?: string;
  run(input: CommandInput<O, A>, context: CommandContext): Promise<void> | void;
};

/** Declares a command; the generics let `run` see its options as the declaration types them. */
export function defineCommand<
  const O extends Record<string, OptionSpec> = Record<never, OptionSpec>,
  const A extends CommandArgument | undefined = undefined,
>(command: CliCommand<O, A>): CliCommand {
  return command as unknown as CliCommand;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

function optionOf(key: string, spec: OptionSpec, context: CommandContext): Option {
  if ('negated' in spec) return new Option(`--no-${kebab(key)}`, spec.help);
  if ('switch' in spec) return new Option(`--${kebab(key)}`, spec.help);
  const help = typeof spec.help === 'function' ? spec.help(context) : spec.help;
  const option = new Option(`--${kebab(key)} ${spec.value}`, help);
  if (spec.required) option.makeOptionMandatory();
  if (spec.default !== undefined) option.default(spec.default);
  return option;
}

/** The command as commander's subcommand of `program`: its options, argument, help and action. */
export function addCommand(program: Command, command: CliCommand, context: CommandContext): void {
  const sub = program.command(command.name).description(command.summary);
  for (const [key, spec] of Object.entries(command.options ?? {})) {
    const option = optionOf(key, spec, context);
    if (!('negated' in spec) && spec.conflicts) option.conflicts(spec.conflicts);
    sub.addOption(option);
  }
  const { argument } = command;
  if (argument) sub.argument(argument.required ? `<${argument.name}>` : `[${argument.name}]`, argument.help);
  if (command.helpAfter) sub.addHelpText('after', `\n${command.helpAfter}`);
  sub.action((...args: unknown[]) => {
    const options = sub.opts();
    const input = argument ? { ...options, argument: args[0] as string | undefined } : options;
    return command.run(input as CommandInput<Record<string, OptionSpec>, CommandArgument>, context);
  });
}
