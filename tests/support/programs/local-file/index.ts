// A program on disk: the engine runs it through vmha's Node.js language host.
import * as pulumi from "@pulumi/pulumi";
import { LocalFile } from "../../local-file";

const config = new pulumi.Config();
const file = new LocalFile("greeting", {
  path: config.require("path"),
  content: `${config.get("greeting") ?? "hello"}\n`,
  token: config.getSecret("token"),
});

export const sha256 = file.sha256;
export const size = file.size;
