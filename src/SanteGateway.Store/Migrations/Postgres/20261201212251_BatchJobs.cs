using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BatchJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Concurrency",
                table: "batch_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "NextSlotTicks",
                table: "batch_jobs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "RatePerSecond",
                table: "batch_jobs",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<string>(
                name: "Selection",
                table: "batch_jobs",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Source",
                table: "batch_jobs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "batch_items",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    JobId = table.Column<Guid>(type: "uuid", nullable: false),
                    Line = table.Column<int>(type: "integer", nullable: false),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: true),
                    LocalId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Input = table.Column<string>(type: "text", nullable: true),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    LeaseUntilTicks = table.Column<long>(type: "bigint", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Rule = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Detail = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Ins = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_batch_items", x => x.Id);
                    table.ForeignKey(
                        name: "FK_batch_items_batch_jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "batch_jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_batch_items_JobId_Outcome",
                table: "batch_items",
                columns: new[] { "JobId", "Outcome" });

            migrationBuilder.CreateIndex(
                name: "IX_batch_items_JobId_State_Id",
                table: "batch_items",
                columns: new[] { "JobId", "State", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "batch_items");

            migrationBuilder.DropColumn(
                name: "Concurrency",
                table: "batch_jobs");

            migrationBuilder.DropColumn(
                name: "NextSlotTicks",
                table: "batch_jobs");

            migrationBuilder.DropColumn(
                name: "RatePerSecond",
                table: "batch_jobs");

            migrationBuilder.DropColumn(
                name: "Selection",
                table: "batch_jobs");

            migrationBuilder.DropColumn(
                name: "Source",
                table: "batch_jobs");
        }
    }
}
