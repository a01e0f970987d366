/**
 * Chat template — messages to prompt text through the model's own Jinja `chat_template` (from
 * tokenizer_config.json), rendered by @huggingface/jinja as transformers would, ending with the
 * generation prompt so the model continues as the assistant.
 */
import { Template } from "@huggingface/jinja";
import type { TextTokenizer } from "../model/tokenizer.js";
import { badRequest } from "./errors.js";
import type { ChatMessage } from "./schemas.js";

/** Message content as plain text: text parts are concatenated. */
function textOf(content: ChatMessage["content"]): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

/** The prompt for `messages`; a 400 on `messages` when the model has no template or it refuses them. */
export function renderChat(tokenizer: TextTokenizer, messages: readonly ChatMessage[]): string {
  const source = tokenizer.chatTemplate;
  if (source === undefined) throw badRequest("messages", "this model has no chat_template; use /v1/completions");
  const items = messages.map((m) => ({ role: m.role, content: textOf(m.content), ...(m.name ? { name: m.name } : {}) }));
  try {
    return new Template(source).render({ messages: items, add_generation_prompt: true, ...tokenizer.specialTokens });
  } catch (err) {
    // Templates reject conversations they cannot format (raise_exception), e.g. roles out of order.
    throw badRequest("messages", `chat template: ${err instanceof Error ? err.message : String(err)}`);
  }
}
