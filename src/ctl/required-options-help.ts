import { Help, type Command } from 'commander';

/**
 * Help says which options a command cannot run without (`--scopes <list> … (required)`);
 * commander's own help does not tell `.requiredOption` from `.option`. Call it before any
 * subcommand is added: subcommands copy the help settings when they are created.
 */
export function markRequiredOptions(program: Command): void {
  const standard = new Help();
  program.configureHelp({
    optionDescription: (option) => {
      const description = standard.optionDescription(option);
      return option.mandatory ? `${description} (required)` : description;
    },
  });
}
