//! Creating the table, its three global secondary indexes and its TTL
//! (tests and local set-up; the SAM template declares the same in AWS).

use super::{DynamoStore, unavailable};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use switchboard_core::ports::StoreResult;

impl DynamoStore {
    /// Create the table with its indexes and TTL (tests and local set-up;
    /// the SAM template declares the same table in AWS).
    pub async fn create_table(&self) -> StoreResult<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(unavailable)
        };
        let ks = |name: &str, kt: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kt)
                .build()
                .map_err(unavailable)
        };
        let gsi = |name: &str| -> StoreResult<GlobalSecondaryIndex> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(ks(&format!("{name}PK"), KeyType::Hash)?)
                .key_schema(ks(&format!("{name}SK"), KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(unavailable)
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("PK")?)
            .attribute_definitions(attr("SK")?)
            .attribute_definitions(attr("GSI1PK")?)
            .attribute_definitions(attr("GSI1SK")?)
            .attribute_definitions(attr("GSI2PK")?)
            .attribute_definitions(attr("GSI2SK")?)
            .attribute_definitions(attr("GSI3PK")?)
            .attribute_definitions(attr("GSI3SK")?)
            .key_schema(ks("PK", KeyType::Hash)?)
            .key_schema(ks("SK", KeyType::Range)?)
            .global_secondary_indexes(gsi("GSI1")?)
            .global_secondary_indexes(gsi("GSI2")?)
            .global_secondary_indexes(gsi("GSI3")?)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(())
    }
}
