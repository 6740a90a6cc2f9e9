// Local osls plugin: rewrites every state machine's DefinitionString without the
// indentation serverless-step-functions adds (JSON.stringify(definition, null, 2)).
// Whitespace is about a quarter of the template, and CloudFormation stops at
// 1,000,000 bytes, so this buys room for more jobs. Every `${...}` substitution sits
// inside a JSON string, so the text stays valid JSON before and after Fn::Sub.
class CompactDefinitions {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.compact() };
  }

  compact() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const definition = resource.Properties.DefinitionString;
      if (typeof definition === 'string') {
        resource.Properties.DefinitionString = JSON.stringify(JSON.parse(definition));
      } else if (Array.isArray(definition?.['Fn::Sub'])) {
        definition['Fn::Sub'][0] = JSON.stringify(JSON.parse(definition['Fn::Sub'][0]));
      } else if (typeof definition?.['Fn::Sub'] === 'string') {
        definition['Fn::Sub'] = JSON.stringify(JSON.parse(definition['Fn::Sub']));
      }
    }
  }
}

module.exports = CompactDefinitions;
